//! The one memory budget of streamed content: terrain tiles and their
//! drapes today, 3D Tiles, OSGB and tiled IFC content next. Each streamed
//! source keeps its resident bytes under what the budget leaves it (see
//! `cim_core::lod::stream::Streamer`).

use bevy::prelude::*;

/// Default budget, MiB: a city's terrain and imagery in view several times
/// over, small beside a workstation's memory.
pub const DEFAULT_BUDGET_MB: usize = 1024;

/// Bytes of streamed content that may stay resident (content being drawn
/// excepted). `CIM_STREAM_BUDGET_MB` sets it.
#[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamBudget {
    pub bytes: usize,
}

impl StreamBudget {
    /// From `CIM_STREAM_BUDGET_MB` (a whole number of MiB), else
    /// [`DEFAULT_BUDGET_MB`].
    pub fn from_env() -> StreamBudget {
        let mb = std::env::var("CIM_STREAM_BUDGET_MB")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(DEFAULT_BUDGET_MB);
        StreamBudget {
            bytes: mb.saturating_mul(1 << 20),
        }
    }
}

impl Default for StreamBudget {
    fn default() -> Self {
        StreamBudget::from_env()
    }
}
