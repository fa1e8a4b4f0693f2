//! Vector formats: shapefiles (`shapefile`, attributes in `dbf`), GeoJSON
//! (`geojson`), GeoPackage (`gpkg`, geometry blobs in `wkb`), and the
//! finishing steps they share (`finish`).

pub mod dbf;
pub(crate) mod finish;
pub mod geojson;
pub mod gpkg;
pub mod shapefile;
pub mod wkb;
