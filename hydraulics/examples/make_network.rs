//! Writes a generated grid network (`cim_hydraulics::generate::grid`) as
//! EPANET input: `make_network COLS ROWS OUT.inp`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: make_network COLS ROWS OUT.inp");
        std::process::exit(2);
    }
    let (cols, rows) = (
        args[1].parse().expect("COLS"),
        args[2].parse().expect("ROWS"),
    );
    std::fs::write(&args[3], cim_hydraulics::generate::grid(cols, rows)).expect("write");
}
