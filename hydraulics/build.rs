//! Sets `cfg(cim_test_data)` when `CIM_TEST_DATA` names the shared data
//! folder at build time, so the tests over real data are reported as
//! ignored without it (never as passed), and run, and fail on anything
//! missing, with it.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(cim_test_data)");
    println!("cargo::rerun-if-env-changed=CIM_TEST_DATA");
    if std::env::var_os("CIM_TEST_DATA").is_some() {
        println!("cargo::rustc-cfg=cim_test_data");
    }
}
