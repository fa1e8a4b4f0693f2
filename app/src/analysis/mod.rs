//! Analyses run in the viewer on the scene's data (their arithmetic in
//! `cim-core`): `corridor`, the pipe-corridor checks over utility lines;
//! `burst`, isolating a broken pipe of a network.

pub mod burst;
pub mod corridor;
