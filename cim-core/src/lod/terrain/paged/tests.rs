use super::*;
use crate::lod::{LodView, select};
use glam::DVec3;

/// A rough 701 × 517 DEM at 2 m: hills plus a deterministic ripple of
/// short wavelength (detail an overview of every 4th cell misses), with a
/// few no-data cells.
fn full_grid() -> Grid {
    let (w, h) = (701, 517);
    let mut g = Grid::new(w, h, 500_000.0, 3_000_000.0, 2.0, 2.0);
    g.nodata = Some(-9999.0);
    for r in 0..h {
        for c in 0..w {
            let (x, y) = (c as f64, r as f64);
            let hills = 30.0 * ((x / 90.0).sin() * (y / 70.0).cos());
            let ripple = 1.5 * ((x * 1.3).sin() + (y * 0.9 + x * 0.4).cos());
            g.set(c, r, (hills + ripple) as f32);
        }
    }
    g.set(300, 200, -9999.0);
    g
}

fn paged(step: usize) -> (Grid, Grid, PagedTerrain) {
    let full = full_grid();
    let overview = full.subsample(step);
    let tree = Arc::new(TerrainQuadtree::build(&overview, 16));
    let source: Arc<dyn GridSource> = Arc::new(full.clone());
    let t = PagedTerrain::new(tree, &overview, Some(source));
    (full, overview, t)
}

fn close_view(camera: DVec3) -> LodView<'static> {
    LodView {
        camera,
        viewport_height_px: 1000.0,
        fov_y_rad: 1.0,
        max_screen_error_px: 1e-6,
        drape: None,
        frustum: None,
    }
}

/// Reads every page the view wants refined, as the terrain plugin does,
/// until the cut stops growing.
fn read_all_pages(t: &mut PagedTerrain, view: &LodView) -> Vec<NodeId> {
    let mut cut = Vec::new();
    loop {
        select(&*t, view, &mut cut);
        let unread: Vec<NodeId> = cut
            .iter()
            .copied()
            .filter(|&id| {
                t.page_read(id).is_some() && view.wants_split(t.geometric_error(id), &t.bounds(id))
            })
            .collect();
        if unread.is_empty() {
            return cut;
        }
        for id in unread {
            let page = t.page_read(id).unwrap().run().unwrap();
            t.insert_page(id, page);
        }
    }
}

#[test]
fn a_source_no_finer_than_the_overview_is_not_paged() {
    let full = full_grid();
    let tree = Arc::new(TerrainQuadtree::build(&full, 16));
    let t = PagedTerrain::new(tree.clone(), &full, Some(Arc::new(full.clone())));
    assert!(t.page_level().is_none(), "not paged");
    let view = close_view(DVec3::new(500_700.0, 2_999_500.0, 10.0));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    select(&t, &view, &mut a);
    select(&*tree, &view, &mut b);
    assert_eq!(a, b);
}

#[test]
fn pages_stop_the_cut_until_read_then_reach_full_resolution() {
    let (full, overview, mut t) = paged(4);
    let page_level = t.page_level().unwrap();
    let view = close_view(DVec3::new(500_700.0, 2_999_500.0, 10.0));
    let mut cut = Vec::new();
    select(&t, &view, &mut cut);
    assert!(cut.iter().all(|id| id.level <= page_level));
    assert!(cut.iter().any(|&id| t.is_page_root(id)), "{cut:?}");

    // Page roots are cut from the overview: at once, no read.
    let root = *cut.iter().find(|&&id| t.is_page_root(id)).unwrap();
    assert!(matches!(t.job(root), Some(TileJob::Overview { .. })));
    assert!(t.geometric_error(root) > 0.0, "the detail it may hide");
    let cut = read_all_pages(&mut t, &view);
    assert!(cut.iter().all(|id| id.level > page_level), "{cut:?}");
    // The cut tiles the full grid's quads exactly once, and every vertex
    // of the surface is a full-resolution cell at its own height.
    let shape = full.shape();
    let mut covered = vec![0u8; (full.width - 1) * (full.height - 1)];
    for &id in &cut {
        let Some(TileJob::Page { page, local }) = t.job(id) else {
            panic!("{id:?} not in a page");
        };
        let p0 = (
            shape.col_of(page.grid.cell_center(0, 0).0),
            shape.row_of(page.grid.cell_center(0, 0).1),
        );
        let (cols, rows) = page.tree.quad_range(local);
        assert_eq!(page.tree.stride(local.level), 1, "{id:?} is a leaf");
        for r in rows {
            for c in cols.clone() {
                covered[(p0.1 + r) * (full.width - 1) + p0.0 + c] += 1;
            }
        }
        let (lc, lr) = page.tree.sample_lattice(local);
        let m = &TileJob::Page { page, local }.run(&overview);
        // The surface vertices come first, row by row; the skirts follow.
        for p in &m.positions[..lc.len() * lr.len()] {
            let (x, y) = (m.anchor.x + p[0] as f64, m.anchor.y + p[1] as f64);
            let (c, r) = (shape.col_of(x), shape.row_of(y));
            let (cx, cy) = full.cell_center(c, r);
            assert!((cx - x).abs() < 1e-3 && (cy - y).abs() < 1e-3, "({x}, {y})");
            if let Some(z) = full.get(c, r) {
                assert!((p[2] - z).abs() < 1e-3, "({c}, {r}): {} vs {z}", p[2]);
            }
        }
    }
    assert!(
        covered.iter().all(|&n| n == 1),
        "quads covered 0 or 2 times"
    );
}

#[test]
fn the_overview_errors_grow_by_the_detail_it_leaves_out() {
    let (_, overview, t) = paged(4);
    let tree = TerrainQuadtree::build(&overview, 16);
    let page_level = t.page_level().unwrap();
    for n in tree.nodes() {
        let e = LodTree::geometric_error(&t, n.id);
        if n.id.level < page_level {
            assert!(e >= n.geometric_error, "{:?}", n.id);
        }
    }
    let root_extra = LodTree::geometric_error(&t, NodeId::ROOT) - tree.nodes()[0].geometric_error;
    assert!(root_extra > 0.1, "the ripple is detail: {root_extra}");
}

#[test]
fn a_page_knows_its_exact_error_once_read() {
    let (full, _, mut t) = paged(4);
    let root = NodeId::new(t.page_level().unwrap(), 3, 2);
    assert!(!t.has_page(root));
    let page = t.page_read(root).unwrap().run().unwrap();
    assert_eq!(page.depth(), 2, "every 4th cell: two levels of detail");
    t.insert_page(root, page.clone());
    assert!(t.has_page(root) && t.page_read(root).is_none());
    // The page's own tree, built on the full-resolution window: its root
    // error is measured against every cell under it.
    let e = LodTree::geometric_error(&t, root);
    assert!(e > 0.5, "{e}");
    let window = t.page_window((3, 2)).unwrap();
    let direct = TerrainQuadtree::build(
        &full
            .read_window(window[0], window[1], window[2], window[3])
            .unwrap(),
        16,
    );
    assert_eq!(e, direct.nodes()[0].geometric_error);
    // Dropping the page root drops the page's nodes.
    let mut kids = Vec::new();
    t.children_into(root, &mut kids);
    assert_eq!(kids.len(), 4);
    t.forget(root);
    kids.clear();
    t.children_into(root, &mut kids);
    assert!(kids.is_empty());
    assert_eq!(t.pages_resident().0, 0);
}

#[test]
fn a_source_that_fails_names_itself() {
    #[derive(Debug)]
    struct Broken;
    impl GridSource for Broken {
        fn shape(&self) -> GridShape {
            GridShape {
                width: 4000,
                height: 4000,
                x0: 0.0,
                y0: 8000.0,
                dx: 2.0,
                dy: 2.0,
            }
        }
        fn read_window(&self, c: usize, r: usize, _: usize, _: usize) -> Result<Grid, String> {
            Err(format!("broken.tif: tile at ({c}, {r}) is damaged"))
        }
    }
    let overview = Grid::new(4000, 4000, 0.0, 8000.0, 2.0, 2.0).subsample(8);
    let tree = Arc::new(TerrainQuadtree::build(&overview, 64));
    let t = PagedTerrain::new(tree, &overview, Some(Arc::new(Broken)));
    let root = NodeId::new(t.page_level().unwrap(), 0, 0);
    let err = t.page_read(root).unwrap().run().unwrap_err();
    assert!(err.contains("broken.tif"), "{err}");
}
