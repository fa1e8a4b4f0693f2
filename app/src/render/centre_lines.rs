//! Pipe centre lines: each pipe feature's 3D centre line drawn a couple of
//! pixels wide (a gizmo), so a network stays legible from afar where its
//! tubes are sub-pixel. The lines take their feature's colour from the
//! layer's per-feature style records and follow them: when a layer's
//! records change (a thematic restyle, hydraulic results at a new step, a
//! filter hiding features, a highlight or alert), its line colours are
//! rewritten — the lines' geometry is kept, hidden features are left out.

use crate::render::feature_style::FeatureStyles;
use bevy::prelude::*;
use cim_core::scene::georef::Anchor;
use std::sync::Arc;

/// A layer's centre lines about an anchor, by feature index, and the
/// colour they are drawn in before the layer's records say otherwise.
pub struct FeatureLines {
    pub anchor: Anchor,
    pub lines: Vec<(u32, Vec<Vec3>)>,
    pub colour: [u8; 4],
}

impl FeatureLines {
    /// The lines as a gizmo, each in `colour(feature)` (`None`: not drawn).
    pub fn gizmo(&self, colour: impl Fn(u32) -> Option<[u8; 4]>) -> GizmoAsset {
        let mut gizmo = GizmoAsset::default();
        for (feature, line) in &self.lines {
            if let Some([r, g, b, _]) = colour(*feature) {
                gizmo.linestrip(line.iter().copied(), Color::srgb_u8(r, g, b));
            }
        }
        gizmo
    }
}

/// On a centre-line gizmo: its layer, its lines, and the layer's record
/// changes it was last coloured for.
#[derive(Component)]
pub struct CentreLineColours {
    pub layer: u64,
    pub lines: Arc<FeatureLines>,
    pub seen: Option<u64>,
}

/// The sRGB of the shader's selection and alert colours (`HIGHLIGHT_RGB`,
/// `ALERT_RGB` in `feature_style.wgsl`, which are linear).
const HIGHLIGHT_SRGB: [u8; 4] = [255, 203, 0, 255];
const ALERT_SRGB: [u8; 4] = [237, 48, 48, 255];

/// A feature's centre-line colour: its record's, in the highlight or
/// alert colour when flagged (tubes underground are hidden by the ground;
/// their lines are what shows), `None` when hidden.
fn line_colour(styles: &FeatureStyles, layer: u64, f: u32) -> Option<[u8; 4]> {
    use crate::render::feature_style::{ALERT, HIGHLIGHT};
    if styles.is_hidden(layer, f as usize) {
        return None;
    }
    let flags = styles.flags(layer, f).unwrap_or(0);
    if flags & HIGHLIGHT != 0 {
        Some(HIGHLIGHT_SRGB)
    } else if flags & ALERT != 0 {
        Some(ALERT_SRGB)
    } else {
        styles.color(layer, f)
    }
}

/// Recolours the centre lines of layers whose style records changed.
pub fn recolour_centre_lines(
    styles: Res<FeatureStyles>,
    mut lines: Query<(&mut CentreLineColours, &Gizmo)>,
    mut assets: ResMut<Assets<GizmoAsset>>,
) {
    for (mut c, gizmo) in &mut lines {
        let Some(changes) = styles.changes(c.layer) else {
            continue;
        };
        if c.seen == Some(changes) {
            continue;
        }
        c.seen = Some(changes);
        let layer = c.layer;
        let new = c.lines.gizmo(|f| line_colour(&styles, layer, f));
        if let Some(mut asset) = assets.get_mut(&gizmo.handle) {
            *asset = new;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::feature_style::{ALERT, HIDDEN, HIGHLIGHT};

    #[test]
    fn flagged_features_draw_their_lines_in_the_flag_colour() {
        let mut styles = FeatureStyles::default();
        styles.insert_cpu_only(3, [[10, 20, 30, 255]; 4].into_iter());
        styles.set_flag(3, &[1], HIGHLIGHT, true);
        styles.set_flag(3, &[2], ALERT, true);
        styles.set_flag(3, &[3], HIDDEN, true);
        let got: Vec<_> = (0..4).map(|f| line_colour(&styles, 3, f)).collect();
        assert_eq!(
            got,
            [
                Some([10, 20, 30, 255]),
                Some(HIGHLIGHT_SRGB),
                Some(ALERT_SRGB),
                None
            ]
        );
    }
}
