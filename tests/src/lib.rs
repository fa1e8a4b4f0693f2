//! Helpers shared by CIM Studio's cross-crate tests.

use std::path::PathBuf;

/// The real public test data (`CIM_TEST_DATA`). Tests that use it carry
/// `#[cfg_attr(not(cim_test_data), ignore = "…")]`, so without the variable
/// at build time (see build.rs) the runner reports them ignored; with it,
/// a missing folder fails them.
pub fn test_data(test: &str) -> PathBuf {
    let p = std::env::var_os("CIM_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{test}: CIM_TEST_DATA is not set"));
    assert!(
        p.is_dir(),
        "{test}: CIM_TEST_DATA={} is not a folder",
        p.display()
    );
    p
}
