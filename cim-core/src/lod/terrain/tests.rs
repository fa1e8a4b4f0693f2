use super::*;

const X0: f64 = 38_500_000.0;
const Y0: f64 = 2_470_000.0;

fn bumpy(w: usize, h: usize) -> Grid {
    let mut g = Grid::new(w, h, X0, Y0, 2.0, 2.0);
    for r in 0..h {
        for c in 0..w {
            let (x, y) = (c as f64, r as f64);
            let z = 20.0 * (x * 0.05).sin() * (y * 0.07).cos()
                + 3.0 * (x * 0.31 + y * 0.17).sin()
                + 0.7 * (x * 1.3).cos() * (y * 0.9).sin();
            g.set(c, r, z as f32);
        }
    }
    g
}

/// A tilted plane with values exact in f32.
fn plane(w: usize, h: usize) -> Grid {
    let mut g = Grid::new(w, h, X0, Y0, 2.0, 2.0);
    for r in 0..h {
        for c in 0..w {
            g.set(c, r, 10.0 + 0.5 * c as f32 - 0.25 * r as f32);
        }
    }
    g
}

fn assert_partition(tree: &TerrainQuadtree, g: &Grid, cut: &[NodeId]) {
    let (qw, qh) = (g.width - 1, g.height - 1);
    let mut hits = vec![0u8; qw * qh];
    for &id in cut {
        assert!(tree.contains(id), "{id:?}");
        let (cs, rs) = tree.quad_range(id);
        for r in rs {
            for c in cs.clone() {
                hits[r * qw + c] += 1;
            }
        }
    }
    assert!(
        hits.iter().all(|&h| h == 1),
        "cut {cut:?} is not a partition"
    );
}

/// A triangulated surface on lattice `cols` × `rows` at fractional grid
/// position (u, v), split the way the meshes are.
fn lattice_surface(g: &Grid, cols: &[usize], rows: &[usize], u: f64, v: f64) -> Option<f64> {
    let i = cols.windows(2).position(|w| u <= w[1] as f64)?;
    let j = rows.windows(2).position(|w| v <= w[1] as f64)?;
    let (u0, u1, v0, v1) = (cols[i], cols[i + 1], rows[j], rows[j + 1]);
    let at = |c, r| g.get(c, r).map(f64::from);
    let q = (u0 as f64, u1 as f64, v0 as f64, v1 as f64);
    tri_interp(q, at(u0, v0), at(u1, v0), at(u0, v1), at(u1, v1), u, v)
}

fn cameras(g: &Grid) -> Vec<DVec3> {
    let b = g.bbox();
    vec![
        DVec3::new(b.center().x, b.center().y, 30.0),
        DVec3::new(b.min.x, b.max.y, 5.0),
        DVec3::new(b.max.x + 50.0, b.min.y + 10.0, 100.0),
        DVec3::new(b.center().x, b.center().y, 2_000.0),
        DVec3::new(b.min.x + 37.0, b.center().y, 0.0),
    ]
}

#[test]
fn cuts_cover_every_quad_exactly_once() {
    for (w, h, t) in [(300, 200, 16), (100, 37, 8), (129, 129, 16), (65, 300, 8)] {
        let g = bumpy(w, h);
        let tree = TerrainQuadtree::build(&g, t);
        let mut cut = Vec::new();
        let mut levels = std::collections::BTreeSet::new();
        for cam in cameras(&g) {
            for px in [0.5, 2.0, 8.0] {
                tree.select(cam, 1080.0, 1.0, px, &mut cut);
                assert_partition(&tree, &g, &cut);
                levels.extend(cut.iter().map(|id| id.level));
            }
        }
        assert!(levels.len() > 1, "{w}×{h}: every cut at one level");
        for l in 0..=tree.leaf_level() + 1 {
            assert_partition(&tree, &g, &tree.select_uniform(l));
        }
    }
}

#[test]
fn imagery_splits_flat_ground_near_the_camera() {
    // A tilted plane has no geometric error: without imagery the root
    // suffices from anywhere; with imagery the ground under a low
    // camera is cut to leaves, and the cut is still a partition.
    let g = plane(257, 257);
    let tree = TerrainQuadtree::build(&g, 8);
    let c = g.bbox().center();
    let cam = DVec3::new(c.x, c.y, 40.0);
    let mut cut = Vec::new();
    tree.select(cam, 1080.0, 1.0, 2.0, &mut cut);
    assert_eq!(cut, vec![tree.root()]);
    let drape = DrapeLod::default();
    tree.select_draped(cam, 1080.0, 1.0, 2.0, Some(&drape), &mut cut);
    assert_partition(&tree, &g, &cut);
    assert!(cut.iter().any(|id| id.level == tree.leaf_level()));
    assert!(cut.iter().any(|id| id.level < tree.leaf_level()));
}

#[test]
fn far_camera_takes_the_root_and_the_ground_reaches_the_leaves() {
    let g = bumpy(300, 200);
    let tree = TerrainQuadtree::build(&g, 16);
    assert_eq!(tree.leaf_level(), 5); // 16 · 2⁵ = 512 ≥ 299
    let c = g.bbox().center();
    let mut cut = Vec::new();
    tree.select(DVec3::new(c.x, c.y, 1e6), 1080.0, 1.0, 2.0, &mut cut);
    assert_eq!(cut, vec![tree.root()]);
    // Standing at quad (50, 120): the node under the feet is a leaf.
    let (x, y) = g.cell_center(50, 120);
    tree.select(DVec3::new(x, y, 1.7), 1080.0, 1.0, 2.0, &mut cut);
    let under = cut
        .iter()
        .find(|id| {
            let (cs, rs) = tree.quad_range(**id);
            cs.contains(&50) && rs.contains(&120)
        })
        .unwrap();
    assert_eq!(under.level, tree.leaf_level());
    // ...while the far corner stays coarser.
    let far = cut
        .iter()
        .find(|id| {
            let (cs, rs) = tree.quad_range(**id);
            cs.contains(&298) && rs.contains(&0)
        })
        .unwrap();
    assert!(far.level < tree.leaf_level(), "{far:?}");
}

#[test]
fn a_plane_is_exact_and_bumps_are_not() {
    for (w, h) in [(100, 37), (257, 257)] {
        let tree = TerrainQuadtree::build(&plane(w, h), 8);
        assert!(tree.node_count() > 5);
        for n in tree.nodes() {
            assert_eq!(n.geometric_error, 0.0, "{:?}", n.id);
        }
    }
    let tree = TerrainQuadtree::build(&bumpy(100, 37), 8);
    assert!(tree.nodes()[0].geometric_error > 1.0);
    for n in tree.nodes() {
        if n.id.level == tree.leaf_level() {
            assert_eq!(n.geometric_error, 0.0);
        } else {
            assert!(n.geometric_error > 0.0, "{:?}", n.id);
        }
        if let Some(p) = n.id.parent() {
            let pe = tree.node(p).unwrap().geometric_error;
            assert!(
                pe >= n.geometric_error,
                "{:?}: {pe} < {}",
                n.id,
                n.geometric_error
            );
        }
    }
}

#[test]
fn error_bounds_the_deviation_from_every_sample() {
    // Non-power-of-two, non-square, with nodata and narrow edge quads.
    for (w, h, t) in [(100, 37, 8), (71, 45, 4), (34, 50, 4)] {
        let mut g = bumpy(w, h);
        g.nodata = Some(-9999.0);
        g.set(20, 10, -9999.0);
        g.set(3, 30, f32::NAN);
        let tree = TerrainQuadtree::build(&g, t);
        let mut worst_ratio = 0.0f64;
        let full = |u: f64, v: f64| {
            let (c, r) = ((u as usize).min(w - 2), (v as usize).min(h - 2));
            lattice_surface(&g, &[c, c + 1], &[r, r + 1], u, v)
        };
        // Every sample, and between them (fifths of a cell): the bound
        // holds on the whole surface, narrow edge quads included.
        const SUB: usize = 5;
        for n in tree.nodes() {
            let (cols, rows) = tree.sample_lattice(n.id);
            let (cs, rs) = tree.quad_range(n.id);
            for r in rs.start * SUB..=rs.end * SUB {
                for c in cs.start * SUB..=cs.end * SUB {
                    let (u, v) = (c as f64 / SUB as f64, r as f64 / SUB as f64);
                    let (Some(f), Some(s)) = (full(u, v), lattice_surface(&g, &cols, &rows, u, v))
                    else {
                        continue;
                    };
                    let d = (s - f).abs();
                    assert!(
                        d <= n.geometric_error + 1e-9,
                        "{w}×{h} {:?} at ({u}, {v}): {d} > {}",
                        n.id,
                        n.geometric_error
                    );
                    if n.geometric_error > 0.0 {
                        worst_ratio = worst_ratio.max(d / n.geometric_error);
                    }
                }
            }
            // z range holds every valid sample.
            let (cs, rs) = tree.quad_range(n.id);
            for r in rs.start..=rs.end {
                for c in cs.start..=cs.end {
                    if let Some(v) = g.get(c, r) {
                        assert!(n.bbox.min.z <= v as f64 && v as f64 <= n.bbox.max.z);
                    }
                }
            }
        }
        // Conservative, but not wildly so.
        assert!(worst_ratio > 0.3, "{w}×{h}: bound is loose ({worst_ratio})");
    }
}

#[test]
fn leaf_meshes_reproduce_the_grid() {
    let g = bumpy(100, 37);
    let tree = TerrainQuadtree::build(&g, 8);
    let leaves = tree.select_uniform(tree.leaf_level());
    for &id in &leaves {
        let m = tree.node_mesh(&g, id);
        assert_eq!(m.anchor.z, 0.0);
        assert_eq!(m.anchor.x, m.anchor.x.round());
        let (cols, rows) = tree.sample_lattice(id);
        assert_eq!(cols.len(), (cols[0]..=*cols.last().unwrap()).count());
        for (j, &r) in rows.iter().enumerate() {
            for (i, &c) in cols.iter().enumerate() {
                let p = m.positions[j * cols.len() + i];
                assert_eq!(p[2], g.get(c, r).unwrap(), "z at ({c}, {r})");
                let (x, y) = g.cell_center(c, r);
                assert!((m.anchor.x + p[0] as f64 - x).abs() < 1e-4);
                assert!((m.anchor.y + p[1] as f64 - y).abs() < 1e-4);
                let uv = m.uvs[j * cols.len() + i];
                assert!((uv[0] as f64 - (x - g.x0) / (g.width as f64 * g.dx)).abs() < 1e-6);
                assert!((uv[1] as f64 - (g.y0 - y) / (g.height as f64 * g.dy)).abs() < 1e-6);
            }
        }
    }
    assert_eq!(
        tree.vertex_count(&leaves),
        leaves
            .iter()
            .map(|&id| tree.node_mesh(&g, id).positions.len())
            .sum::<usize>()
    );
}

fn tri_normal(m: &TerrainMesh, t: &[u32]) -> DVec3 {
    let p = |i: u32| DVec3::from(m.positions[i as usize].map(f64::from));
    (p(t[1]) - p(t[0])).cross(p(t[2]) - p(t[0]))
}

#[test]
fn flat_ground_faces_up_and_skirts_face_out() {
    let mut g = Grid::new(40, 30, X0, Y0, 1.0, 1.0);
    g.data.fill(12.0);
    let tree = TerrainQuadtree::build(&g, 8);
    for l in 0..=tree.leaf_level() {
        for id in tree.select_uniform(l) {
            let m = tree.node_mesh(&g, id);
            let (cols, rows) = tree.sample_lattice(id);
            let n_surf = cols.len() * rows.len();
            let centre = DVec3::from(
                m.positions[..n_surf]
                    .iter()
                    .fold([0.0; 3], |a, p| [a[0] + p[0], a[1] + p[1], a[2] + p[2]])
                    .map(|v| v as f64 / n_surf as f64),
            );
            assert_eq!(m.indices.len() % 3, 0);
            assert!(m.indices.iter().all(|&i| (i as usize) < m.positions.len()));
            let mut skirts = 0;
            for t in m.indices.chunks(3) {
                let n = tri_normal(&m, t);
                if t.iter().all(|&i| (i as usize) < n_surf) {
                    assert!(n.z > 0.0 && n.x == 0.0 && n.y == 0.0, "{id:?} {n}");
                } else {
                    // Horizontal and pointing away from the tile centre.
                    skirts += 1;
                    let p = DVec3::from(m.positions[t[0] as usize].map(f64::from));
                    assert!(n.z.abs() < 1e-9);
                    assert!(n.dot(p - centre) > 0.0, "{id:?}: skirt faces in");
                }
            }
            assert_eq!(skirts, 2 * 2 * (cols.len() - 1 + rows.len() - 1));
            for nrm in &m.normals {
                assert_eq!(*nrm, [0.0, 0.0, 1.0]);
            }
        }
    }
}

#[test]
fn skirts_hang_below_the_error_and_close_every_crack() {
    let g = bumpy(300, 200);
    let tree = TerrainQuadtree::build(&g, 16);
    for n in tree.nodes() {
        let m = tree.node_mesh(&g, n.id);
        let (cols, rows) = tree.sample_lattice(n.id);
        let n_surf = cols.len() * rows.len();
        assert_eq!(m.positions.len(), n_surf + 2 * (cols.len() + rows.len()));
        assert!(tree.skirt_depth(n.id) >= n.geometric_error + SKIRT_MARGIN_M);
        // Skirt vertices, edge by edge, under the edge vertices.
        let (nc, nr) = (cols.len(), rows.len());
        let edge: Vec<usize> = (0..nc)
            .chain((0..nr).map(|j| j * nc + nc - 1))
            .chain((0..nc).rev().map(|i| (nr - 1) * nc + i))
            .chain((0..nr).rev().map(|j| j * nc))
            .collect();
        for (k, &v) in edge.iter().enumerate() {
            let (top, bottom) = (m.positions[v], m.positions[n_surf + k]);
            assert_eq!((top[0], top[1]), (bottom[0], bottom[1]));
            assert!(
                (top[2] - bottom[2]) as f64 >= n.geometric_error,
                "{:?}: skirt {} < error {}",
                n.id,
                top[2] - bottom[2],
                n.geometric_error
            );
        }
    }
    // Along every edge shared by two nodes of a mixed cut, the higher
    // edge's skirt reaches below the lower edge.
    let (x, y) = g.cell_center(10, 10);
    let mut cut = Vec::new();
    tree.select(DVec3::new(x, y, 3.0), 1080.0, 1.0, 8.0, &mut cut);
    let levels: std::collections::BTreeSet<u8> = cut.iter().map(|id| id.level).collect();
    assert!(levels.len() >= 3, "{levels:?}");
    // Height of a node's edge at sample `pos` along a grid line.
    let edge_height = |id: NodeId, vertical: bool, line: usize, pos: usize| -> f64 {
        let (cols, rows) = tree.sample_lattice(id);
        let lat = if vertical { rows } else { cols };
        let k = lat.windows(2).position(|w| pos <= w[1]).unwrap();
        let (a, b) = (lat[k], lat[k + 1]);
        let at = |p: usize| {
            let (c, r) = if vertical { (line, p) } else { (p, line) };
            g.get(c, r).unwrap() as f64
        };
        at(a) + (at(b) - at(a)) * (pos - a) as f64 / (b - a) as f64
    };
    let mut shared = 0;
    for &a in &cut {
        for &b in &cut {
            let ((ac, ar), (bc, br)) = (tree.quad_range(a), tree.quad_range(b));
            // b east of a / b south of a, overlapping along the edge.
            let checks = if ac.end == bc.start && ar.start < br.end && br.start < ar.end {
                Some((true, ac.end, ar.start.max(br.start)..=ar.end.min(br.end)))
            } else if ar.end == br.start && ac.start < bc.end && bc.start < ac.end {
                Some((false, ar.end, ac.start.max(bc.start)..=ac.end.min(bc.end)))
            } else {
                None
            };
            let Some((vertical, line, span)) = checks else {
                continue;
            };
            shared += 1;
            for pos in span {
                let (ha, hb) = (
                    edge_height(a, vertical, line, pos),
                    edge_height(b, vertical, line, pos),
                );
                let (hi_id, gap) = if ha >= hb { (a, ha - hb) } else { (b, hb - ha) };
                // Even without the margin.
                assert!(
                    tree.skirt_depth(hi_id) - SKIRT_MARGIN_M >= gap - 1e-9,
                    "crack {gap} m between {a:?} and {b:?} at {pos}"
                );
            }
        }
    }
    assert!(shared > 10);
}

#[test]
fn nodata_leaves_holes() {
    let mut g = plane(20, 20);
    g.nodata = Some(-9999.0);
    g.set(5, 5, -9999.0);
    let tree = TerrainQuadtree::build(&g, 32);
    assert_eq!(tree.node_count(), 1);
    let m = tree.node_mesh(&g, tree.root());
    let hole = 5 * 20 + 5;
    assert!(!m.indices.contains(&hole));
    // 19 × 19 quads, two triangles each, less the 6 around the hole.
    let surface = m.triangle_count() - 2 * 2 * (19 + 19);
    assert_eq!(surface, 19 * 19 * 2 - 6);
    assert!(m.normals.iter().all(|n| n.iter().all(|v| v.is_finite())));
}

#[test]
fn tiny_and_degenerate_grids() {
    let g = bumpy(10, 7);
    let tree = TerrainQuadtree::build(&g, 64);
    assert_eq!(tree.node_count(), 1);
    assert_eq!(tree.leaf_level(), 0);
    let mut cut = Vec::new();
    tree.select(DVec3::new(X0, Y0, 0.0), 1080.0, 1.0, 0.01, &mut cut);
    assert_eq!(cut, vec![tree.root()]);
    let m = tree.node_mesh(&g, tree.root());
    assert_eq!(m.positions.len(), 70 + 2 * 17);
    for (w, h) in [(1, 1), (1, 9), (9, 1), (0, 0)] {
        let g = bumpy(w, h);
        let tree = TerrainQuadtree::build(&g, 4);
        let m = tree.node_mesh(&g, tree.root());
        assert!(m.indices.is_empty(), "{w}×{h}");
        assert_eq!(m.positions.len(), tree.vertex_count(&[tree.root()]));
    }
    // 65 cells = 64 quads: exactly one 64-quad tile.
    assert_eq!(TerrainQuadtree::build(&bumpy(65, 65), 64).node_count(), 1);
    assert_eq!(TerrainQuadtree::build(&bumpy(66, 65), 64).node_count(), 3);
}
