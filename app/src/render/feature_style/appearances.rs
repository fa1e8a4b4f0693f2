//! Layers whose style has a `time_field`: each feature is drawn from the
//! instant in that field on, as the scene clock moves
//! ([`cim_core::style::appearance`]). Only the features whose instant the
//! clock crossed are touched, through the [`HIDDEN_AT_TIME`] flag; the
//! clock's range grows to take in the layer's instants.

use super::{FeatureStyles, HIDDEN_AT_TIME, LayerStyles};
use crate::scene::clock::{Clock, ClockCommand};
use crate::scene::store::SceneStore;
use bevy::prelude::*;
use cim_core::style::appearance::Appearances;
use cim_core::time::TimeVarying;

/// A layer's appearances and how many of them are drawn.
pub(super) struct Shown {
    field: String,
    events: Appearances,
    count: usize,
}

impl LayerStyles {
    /// Moves the drawn count to `count`, flagging only what changes.
    fn show_appeared(&mut self, count: usize) {
        let Some(a) = self.appearances.take() else {
            return;
        };
        let (features, appear) = a.events.change(a.count, count);
        for &f in features {
            self.set_flag(f as usize, HIDDEN_AT_TIME, !appear);
        }
        self.appearances = Some(Shown { count, ..a });
    }
}

/// Follows the layers' `time_field`s and the clock.
pub(super) fn follow_clock(
    store: Res<SceneStore>,
    clock: Res<Clock>,
    mut styles: ResMut<FeatureStyles>,
    mut clock_commands: MessageWriter<ClockCommand>,
) {
    let now = clock.0.current;
    for slot in &store.layers {
        let Some(l) = styles.layers.get_mut(&slot.id) else {
            continue;
        };
        let field = slot.reference.style.time_field.as_deref();
        let current = l.appearances.as_ref().map(|a| a.field.as_str());
        if current != field {
            // Field gone or changed: everything that waited appears.
            let all = l.appearances.as_ref().map_or(0, |a| a.events.len());
            l.show_appeared(all);
            l.appearances = None;
            let (Some(field), Some(v)) = (field, slot.layer.as_ref().and_then(|x| x.vector()))
            else {
                continue;
            };
            // A missing field is the restyle's error notice.
            let Ok(events) = Appearances::new(v, field, clock.0.display_utc_offset_hours) else {
                continue;
            };
            if let Some((start, end)) = events.time_span() {
                clock_commands.write(ClockCommand::Include(start, end));
            }
            // Every dated feature waits for its instant, then the clock's
            // present shows those already there.
            for &f in events.change(events.len(), 0).0 {
                l.set_flag(f as usize, HIDDEN_AT_TIME, true);
            }
            l.appearances = Some(Shown {
                field: field.to_owned(),
                events,
                count: 0,
            });
        } else if !clock.is_changed() {
            continue;
        }
        if let Some(count) = l.appearances.as_ref().map(|a| a.events.count_until(now)) {
            l.show_appeared(count);
        }
    }
}
