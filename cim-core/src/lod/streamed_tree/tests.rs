use super::*;
use crate::lod::select;
use crate::lod::tile_source::Frame;
use crate::lod::tileset::{BoundingVolume, ContentRef, MAX_DEPTH, Refine, TileTree};
use crate::model::tile_content::TileContent;
use glam::DMat4;

/// A tree of a root over one tile whose children are deferred.
#[derive(Debug)]
struct Deferred {
    tree: TileTree,
}

fn tile(parent: Option<TileId>, x: f64, half: f64, error: f64) -> Tile {
    Tile {
        parent,
        children: vec![],
        bounds: BoundingVolume::Box {
            center: DVec3::new(x, 0.0, 0.0),
            half_axes: [DVec3::X * half, DVec3::Y * half, DVec3::Z],
        },
        request_volume: None,
        world: DMat4::IDENTITY,
        geometric_error: error,
        refine: Refine::Replace,
        contents: vec![ContentRef {
            uri: format!("{x}"),
            bounds: None,
            group: None,
        }],
        depth: 0,
        children_uri: None,
    }
}

impl TileSource for Deferred {
    fn tree(&self) -> &TileTree {
        &self.tree
    }
    fn read(&self, _: &ContentRef) -> Result<TileContent, String> {
        Ok(TileContent::default())
    }
    fn is_ecef(&self) -> bool {
        false
    }
    fn problems(&self) -> Vec<String> {
        Vec::new()
    }
}

fn streamed() -> StreamedTree {
    let mut tree = TileTree::default();
    tree.push(tile(None, 0.0, 100.0, 1e6));
    let mut deferred = tile(Some(0), 50.0, 50.0, 10.0);
    deferred.children_uri = Some("child.osgb".into());
    deferred.depth = 1;
    tree.push(deferred);
    let placement = TilePlacement::new(&tree, Frame::Local(DMat4::IDENTITY)).unwrap();
    StreamedTree::new(Arc::new(Deferred { tree }), Arc::new(placement))
}

fn view_from(camera: DVec3) -> LodView<'static> {
    LodView {
        camera,
        viewport_height_px: 1000.0,
        fov_y_rad: 1.0,
        max_screen_error_px: 16.0,
        drape: None,
        frustum: None,
    }
}

/// Two children of the expanded tile, the second with a child of its own.
fn branch() -> Branch {
    let mut a = tile(None, 25.0, 25.0, 1.0);
    a.children_uri = Some("deeper.osgb".into());
    let b = tile(None, 75.0, 25.0, 1.0);
    let c = tile(Some(1), 75.0, 10.0, 0.0);
    Branch {
        tiles: vec![a, b, c],
        problems: vec!["one file missing".into()],
    }
}

#[test]
fn a_deferred_tile_is_read_when_the_view_would_refine_it_and_grows_the_tree() {
    let mut t = streamed();
    let near = view_from(DVec3::new(50.0, 0.0, 20.0));
    let mut cut = Vec::new();
    select(&t.placed(near.camera), &near, &mut cut);
    assert_eq!(cut, vec![1], "no children known yet: drawn as a leaf");
    assert_eq!(t.wanted(&cut, &near), vec![1]);
    // From far away the tile is fine as it is.
    let far = view_from(DVec3::new(50.0, 0.0, 1e6));
    assert!(t.wanted(&cut, &far).is_empty());

    let copy = t.begin(1).expect("deferred");
    assert_eq!(copy.children_uri.as_deref(), Some("child.osgb"));
    assert!(t.begin(1).is_none(), "asked for once");
    assert!(t.wanted(&cut, &near).is_empty());
    assert_eq!(t.expanding(), 1);

    let problems = t.graft(1, Ok(branch())).unwrap();
    assert_eq!(problems, vec!["one file missing".to_string()]);
    assert_eq!(t.expanding(), 0);
    assert_eq!((t.len(), t.grown_len()), (5, 3));
    assert_eq!(t.children(1), &[2, 3]);
    assert_eq!(t.children(3), &[4]);
    assert_eq!(t.tile(4).parent, Some(3));
    assert_eq!((t.tile(2).depth, t.tile(4).depth), (2, 3));
    assert_eq!(t.bounds(3).center(), DVec3::new(75.0, 0.0, 0.0));
    assert_eq!(t.place_of(3).anchor, DVec3::new(75.0, 0.0, 0.0));
    assert!(t.get(5).is_none());

    select(&t.placed(near.camera), &near, &mut cut);
    assert!(cut.contains(&2) && cut.contains(&4), "{cut:?}");
    assert_eq!(t.wanted(&cut, &near), vec![2], "the grown tile defers too");
}

#[test]
fn a_failed_or_malformed_branch_leaves_the_tile_a_leaf_for_good() {
    let mut t = streamed();
    let near = view_from(DVec3::new(50.0, 0.0, 20.0));
    t.begin(1).unwrap();
    let e = t.graft(1, Err("child.osgb: truncated".into())).unwrap_err();
    assert!(e.contains("truncated"));
    assert_eq!(t.len(), 2);
    assert!(t.wanted(&[1], &near).is_empty());
    assert!(t.begin(1).is_none());

    let mut t = streamed();
    t.begin(1).unwrap();
    let mut bad = branch();
    bad.tiles[0].parent = Some(2);
    let e = t.graft(1, Ok(bad)).unwrap_err();
    assert!(e.contains("names tile 2 as parent"), "{e}");
    assert_eq!(t.len(), 2, "nothing of it kept");
    assert!(t.children(1).is_empty());
}

#[test]
fn a_branch_below_the_depth_limit_is_refused() {
    let mut t = streamed();
    t.begin(1).unwrap();
    let mut deep = Branch::default();
    for i in 0..MAX_DEPTH {
        let parent = (i > 0).then(|| i - 1);
        deep.tiles.push(tile(parent, 50.0, 1.0, 1.0));
    }
    let e = t.graft(1, Ok(deep)).unwrap_err();
    assert!(e.contains("deeper than"), "{e}");
    assert_eq!(t.len(), 2);
}

#[test]
fn a_branch_reaching_past_its_parent_grows_the_parent_and_its_ancestors() {
    let mut t = streamed();
    t.begin(1).unwrap();
    let far = Branch {
        tiles: vec![tile(None, 300.0, 10.0, 0.0)],
        problems: Vec::new(),
    };
    t.graft(1, Ok(far)).unwrap();
    assert_eq!(t.bounds(1).max.x, 310.0);
    assert_eq!(t.bounds(0).max.x, 310.0, "the root too");
    assert_eq!(t.bounds(1).min.x, 0.0, "grown, not moved");
}

#[test]
fn children_named_twice_are_read_once() {
    let mut t = streamed();
    t.begin(1).unwrap();
    // The file read pages in itself: its tile names the same children.
    let mut again = tile(None, 50.0, 50.0, 10.0);
    again.children_uri = Some("child.osgb".into());
    t.graft(
        1,
        Ok(Branch {
            tiles: vec![again],
            problems: Vec::new(),
        }),
    )
    .unwrap();
    assert!(t.begin(2).is_none());
    assert_eq!(t.expanding(), 0);
    let problems = t.take_problems();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("child.osgb is paged in more than once"));
    let near = view_from(DVec3::new(50.0, 0.0, 20.0));
    assert!(t.wanted(&[2], &near).is_empty(), "a leaf for good");
}
