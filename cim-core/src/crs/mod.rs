//! Coordinate reference systems: definitions, PROJ-backed transformations,
//! Chinese web-map datums, local city grids and the local ENU frame.
//!
//! * [`CrsDef`] names a CRS (EPSG code, PROJ string, WKT, GCJ-02, BD-09, local
//!   grids) and is what scene documents store.
//! * [`Transformer`] converts points between any two `CrsDef`s; PROJ does the
//!   registry work, our own exact code does the rest ([`transform`] explains).
//! * [`crs_info`] / [`is_geographic`] describe a CRS.
//! * [`enu`] converts between geodetic, ECEF and a local East-North-Up frame.
//! * [`cli`] holds the logic of `cim crs transform` / `cim crs info`.
//! * [`proj_data_dir`] tells where `proj.db` is read from (packaging copies it).
//!
//! **Axis order convention:** every coordinate on these interfaces is
//! `DVec3(x = easting or longitude°, y = northing or latitude°, z = height m)`,
//! whatever the axis order registered for the EPSG code (EPSG:4490 and the
//! CGCS2000 Gauss–Krüger CRSs are registered north-first).

pub mod cli;
pub mod definition;
pub mod ellipsoid;
pub mod enu;
pub mod error;
pub mod gcj02;
pub mod info;
pub mod local_grid;
mod proj_backend;
pub mod tmerc;
pub mod transform;

pub use glam::DVec3;

pub use cli::{TransformStats, format_info, transform_stream};
pub use definition::CrsDef;
pub use ellipsoid::Ellipsoid;
pub use enu::{EnuFrame, ecef_to_geodetic, geodetic_to_ecef};
pub use error::CrsError;
pub use info::{AreaOfUse, CrsInfo, crs_info, is_geographic, is_north_first};
pub use local_grid::{Helmert, HelmertConvention, LocalTm, Similarity};
pub use proj_backend::proj_data_dir;
pub use tmerc::TransverseMercator;
pub use transform::Transformer;
