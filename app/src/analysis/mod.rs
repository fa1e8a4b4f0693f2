//! Analyses run in the viewer on the scene's data (their arithmetic in
//! `cim-core`): `corridor`, the pipe-corridor checks over utility lines.

pub mod corridor;
