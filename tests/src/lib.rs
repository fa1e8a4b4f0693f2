//! Helpers shared by CIM Studio's cross-crate tests.

use std::path::PathBuf;

/// The real public test data (`CIM_TEST_DATA`), or `None` after printing
/// that the calling test is skipped.
pub fn test_data(test: &str) -> Option<PathBuf> {
    match std::env::var_os("CIM_TEST_DATA").map(PathBuf::from) {
        Some(p) if p.is_dir() => Some(p),
        Some(p) => {
            println!(
                "skipped {test}: CIM_TEST_DATA={} is not a folder",
                p.display()
            );
            None
        }
        None => {
            println!("skipped {test}: CIM_TEST_DATA not set");
            None
        }
    }
}
