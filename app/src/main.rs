//! The `cim` binary: see `cim --help`.

fn main() -> std::process::ExitCode {
    cim_app::cli::main()
}
