//! The error type of the CRS module. Every message names the offending input,
//! because these errors end up in front of users (CLI, scene loading dialogs).

use glam::DVec3;

/// What went wrong while defining a CRS or transforming coordinates.
#[derive(thiserror::Error, Debug)]
pub enum CrsError {
    /// The definition string was empty or blank.
    #[error(
        "empty CRS definition: expected e.g. \"EPSG:4490\", a PROJ string, WKT, \"GCJ02\" or \"BD09\""
    )]
    Empty,

    /// The text does not follow any accepted CRS syntax.
    #[error("invalid CRS definition {input:?}: {reason}")]
    Syntax { input: String, reason: String },

    /// PROJ could not build a CRS from the definition (unknown code, bad WKT...).
    #[error("unknown or invalid CRS {input:?}: {reason}")]
    Unknown { input: String, reason: String },

    /// The definition is valid for PROJ but is a coordinate operation, datum or
    /// ellipsoid rather than a coordinate reference system.
    #[error("{input:?} is a PROJ {what}, not a coordinate reference system")]
    NotACrs { input: String, what: String },

    /// A parameter of a local grid definition is out of range.
    #[error("invalid {grid} parameter `{parameter}` = {value}: {reason}")]
    Parameter {
        grid: &'static str,
        parameter: &'static str,
        value: f64,
        reason: &'static str,
    },

    /// A local grid was put on a base CRS of the wrong kind.
    #[error("{grid} cannot be based on {base:?}: {reason}")]
    Base {
        grid: &'static str,
        base: String,
        reason: String,
    },

    /// PROJ found no way to go from one CRS to the other.
    #[error("no transformation from {from} to {to}: {reason}")]
    NoTransformation {
        from: String,
        to: String,
        reason: String,
    },

    /// A point could not be transformed (outside the projection's domain, NaN input...).
    #[error("cannot transform point ({}, {}, {}) from {from} to {to}: {reason}", point.x, point.y, point.z)]
    Point {
        point: DVec3,
        from: String,
        to: String,
        reason: String,
    },

    /// Reading the input or writing the output of the CLI failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}
