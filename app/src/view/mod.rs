//! The camera (`camera`) and what it points at (`picking`).

pub mod camera;
pub mod picking;
