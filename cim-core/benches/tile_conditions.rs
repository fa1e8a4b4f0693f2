//! A tileset restyle (`style::conditions::ConditionalStyle::looks`): how
//! long the looks of one property table take — what a restyle costs per
//! resident tile and what each tile read pays — for a city block table of
//! 2 000 buildings (height, floors, use, name) and a style of a filter and
//! three colour conditions.
//!
//! ```text
//! cargo bench -p cim-core --bench tile_conditions
//! ```
//!
//! Without `--bench` (as under `cargo test --all-targets`) it runs one
//! table as a smoke test.

use cim_core::model::attr::AttrValue;
use cim_core::model::tile_content::PropertyTable;
use cim_core::style::conditions::{ColorCondition, ConditionalStyle};
use std::hint::black_box;
use std::time::Instant;

const FEATURES: usize = 2_000;

fn table() -> PropertyTable {
    let uses = ["住宅", "商业", "办公", "工业", "教育"];
    let column = |name: &str, f: &dyn Fn(usize) -> AttrValue| {
        (name.to_owned(), (0..FEATURES).map(f).collect::<Vec<_>>())
    };
    PropertyTable {
        name: "batch table".into(),
        class: None,
        count: FEATURES,
        columns: vec![
            column("height", &|i| AttrValue::Float((i * 37 % 200) as f64 * 0.5)),
            column("floors", &|i| AttrValue::Int((i * 37 % 200 / 6) as i64)),
            column("use", &|i| uses[i % uses.len()].into()),
            column("name", &|i| format!("building {i}").into()),
        ],
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let table = table();
    let cond = |when: &str, color: &str| ColorCondition {
        when: when.into(),
        color: color.into(),
    };
    let style = ConditionalStyle::new(
        Some("height > 3 and use <> '工业'"),
        &[
            cond("height >= 80", "#d73027"),
            cond("use in ('商业', '办公') and floors >= 10", "#fc8d59"),
            cond("name like '%9'", "#4575b4"),
        ],
        [230, 230, 230, 255],
    )
    .expect("the style parses");
    let rounds = if full { 200 } else { 1 };
    let start = Instant::now();
    let mut shown = 0;
    for _ in 0..rounds {
        shown = black_box(style.looks(Some(&table)))
            .iter()
            .filter(|l| l.shown)
            .count();
    }
    let per = start.elapsed().as_secs_f64() / rounds as f64;
    println!(
        "looks of a {FEATURES}-feature table (filter + 3 conditions): {:.3} ms, {:.1} M features/s ({shown} shown)",
        per * 1e3,
        FEATURES as f64 / per / 1e6
    );
}
