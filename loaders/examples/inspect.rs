//! `cargo run -p cim-loaders --example inspect -- FILE... [--json]`: what
//! `cim inspect` prints, without building the viewer.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let files: Vec<&String> = args.iter().filter(|a| *a != "--json").collect();
    if files.is_empty() {
        eprintln!("usage: inspect FILE... [--json]");
        std::process::exit(2);
    }
    let report = cim_loaders::inspect_paths(&files);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("the report serializes")
        );
    } else {
        print!("{report}");
    }
    if report.has_errors() {
        std::process::exit(1);
    }
}
