//! Drawing exactly a streamer's plan: resident content carries `Mesh3d`
//! only while the plan draws it, and only the tiles entering or leaving
//! the drawn set are touched each frame (not every resident one).

use bevy::prelude::*;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// Resident content drawn by putting a mesh on its entities.
pub trait Drawable {
    fn is_drawn(&self) -> bool;
    fn set_drawn(&mut self, drawn: bool);
    /// Each entity of the content and the mesh it shows.
    fn parts(&self) -> Vec<(Entity, Handle<Mesh>)>;
}

/// Puts meshes on the entities of `draw`, off those of last frame's
/// `last` that left it, and remembers `draw` as `last`. Returns whether
/// anything came on or went off the screen.
pub fn draw_exactly<Id, R>(
    draw: &[Id],
    last: &mut Vec<Id>,
    resident: &mut HashMap<Id, R>,
    commands: &mut Commands,
) -> bool
where
    Id: Copy + Eq + Hash,
    R: Drawable,
{
    let wanted: HashSet<Id> = draw.iter().copied().collect();
    let mut changed = false;
    for id in last.iter().filter(|id| !wanted.contains(id)) {
        if let Some(r) = resident.get_mut(id).filter(|r| r.is_drawn()) {
            changed = true;
            r.set_drawn(false);
            for (e, _) in r.parts() {
                commands.entity(e).try_remove::<Mesh3d>();
            }
        }
    }
    for id in draw {
        if let Some(r) = resident.get_mut(id).filter(|r| !r.is_drawn()) {
            changed = true;
            r.set_drawn(true);
            for (e, mesh) in r.parts() {
                commands.entity(e).try_insert(Mesh3d(mesh));
            }
        }
    }
    last.clear();
    last.extend_from_slice(draw);
    changed
}
