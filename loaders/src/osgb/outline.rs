//! The outline of one OSGB file as a tile of a streamed dataset: the box
//! around its geometry and the pages it links to (each `osg::PagedLOD`'s
//! child file, with the sphere that bounds it and the range at which
//! OpenSceneGraph would switch to it).
//!
//! A PagedLOD shows its coarse children (in the file) until the switch,
//! then its child file instead: 3D Tiles' REPLACE refinement. The switch
//! becomes the file's geometric error through the screen-space error the
//! tile selection uses ([`geometric_error`]).

use super::mesh::MAX_VISITS;
use super::model::*;
use cim_core::Bbox;
use glam::{DMat4, DVec3};

/// One paging PagedLOD: its coarse children in the file and the child
/// file that replaces them.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// The child file's name, as the PagedLOD gives it (the first, when it
    /// names several).
    pub file: String,
    /// Around the coarse children's vertices, in the file's frame.
    pub bbox: Option<Bbox>,
    /// The PagedLOD's user-defined bounding sphere (in the file's frame),
    /// when it has one.
    pub sphere: Option<(DVec3, f64)>,
    pub mode: RangeMode,
    /// Pixels on screen (of the sphere's diameter) from which, or metres
    /// from the eye within which, the child file is shown.
    pub switch: f64,
}

/// A file's pages and the rest of its geometry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outline {
    /// Around the vertices no page holds ([`super::mesh::Part::Rest`]).
    pub rest: Option<Bbox>,
    /// The paging PagedLODs, numbered as [`super::mesh::Part::Page`]
    /// numbers them.
    pub pages: Vec<Page>,
}

/// Pixels per metre at one metre assumed for distance-mode ranges: a
/// 1000-pixel-high view with a 53° vertical field of view.
pub const NOMINAL_PX_PER_RAD: f64 = 1000.0;

impl Page {
    /// Around its coarse children and its sphere (empty when it has
    /// neither).
    pub fn bounds(&self) -> Bbox {
        let b = self.bbox.unwrap_or(Bbox::EMPTY);
        match self.sphere {
            Some((c, r)) => b.union(&Bbox {
                min: c - DVec3::splat(r),
                max: c + DVec3::splat(r),
            }),
            None => b,
        }
    }

    /// The geometric error (metres) of the coarse level this page
    /// replaces: the error that reaches `max_screen_error_px` exactly where
    /// OpenSceneGraph would switch to the page.
    ///
    /// In pixel-size mode the sphere's diameter `2r` covers `switch`
    /// pixels at the switch, so an error `e` covers `max · ` pixels when
    /// `e = max · 2r / switch`. In distance mode the switch is a distance
    /// `d`, where an error `e` covers `e · k / d` pixels (`k` =
    /// [`NOMINAL_PX_PER_RAD`]).
    ///
    /// ```
    /// use cim_loaders::osgb::{model::RangeMode, outline::Page};
    /// use cim_core::DVec3;
    /// let p = Page { file: "a.osgb".into(), bbox: None, sphere: Some((DVec3::ZERO, 50.0)),
    ///                mode: RangeMode::PixelSizeOnScreen, switch: 200.0 };
    /// assert_eq!(p.geometric_error(16.0), 8.0);
    /// ```
    pub fn geometric_error(&self, max_screen_error_px: f64) -> f64 {
        let switch = self.switch.max(1e-6);
        match self.mode {
            RangeMode::PixelSizeOnScreen => {
                let r = self.sphere.map_or(0.0, |(_, r)| r);
                max_screen_error_px * 2.0 * r / switch
            }
            RangeMode::DistanceFromEyePoint => max_screen_error_px * switch / NOMINAL_PX_PER_RAD,
        }
    }
}

/// The outline of a file's graph; a graph that shares its nodes past
/// [`MAX_VISITS`] visits is refused.
pub fn outline(root: Option<&Node>) -> Result<Outline, String> {
    let mut o = Outline::default();
    let mut visits = 0;
    if let Some(root) = root {
        walk(root, DMat4::IDENTITY, None, &mut o, &mut visits)?;
    }
    Ok(o)
}

/// Adds `node`'s subtree; `page`: the page it is under, if any.
fn walk(
    node: &Node,
    m: DMat4,
    page: Option<usize>,
    o: &mut Outline,
    visits: &mut usize,
) -> Result<(), String> {
    *visits += 1;
    if *visits > MAX_VISITS {
        return Err(format!(
            "the graph has more than {MAX_VISITS} nodes to visit"
        ));
    }
    let mut m = m;
    let mut page = page;
    match &node.kind {
        NodeKind::Transform(t) => m *= *t,
        NodeKind::Geode(geoms) => {
            let b = match page {
                Some(i) => &mut o.pages[i].bbox,
                None => &mut o.rest,
            };
            for v in geoms.iter().filter_map(|g| g.vertices.as_ref()) {
                let b = b.get_or_insert(Bbox::EMPTY);
                for i in 0..v.array.len() {
                    let p = DVec3::new(v.array.get(i, 0), v.array.get(i, 1), v.array.get(i, 2));
                    if p.is_finite() {
                        b.extend(m.transform_point3(p));
                    }
                }
            }
        }
        NodeKind::Lod(lod, ..) => {
            // As drawn: the most detailed child only.
            if let Some(i) = super::mesh::finest(lod, node.children.len()) {
                return walk(&node.children[i], m, page, o, visits);
            }
            return Ok(());
        }
        NodeKind::PagedLod(lod, paged) if page.is_none() && super::mesh::pages_in(paged) => {
            let (i, file) = paged
                .files
                .iter()
                .enumerate()
                .find(|(_, f)| !f.is_empty())
                .expect("pages_in");
            let (min, max) = lod.ranges.get(i).copied().unwrap_or((0.0, f32::MAX));
            let switch = match lod.range_mode {
                RangeMode::PixelSizeOnScreen => f64::from(min),
                RangeMode::DistanceFromEyePoint => f64::from(max),
            };
            let scale = m
                .x_axis
                .truncate()
                .length()
                .max(m.y_axis.truncate().length());
            o.pages.push(Page {
                file: file.clone(),
                bbox: None,
                sphere: lod
                    .center
                    .map(|(c, r)| (m.transform_point3(DVec3::from(c)), r * scale)),
                mode: lod.range_mode,
                switch,
            });
            page = Some(o.pages.len() - 1);
        }
        _ => {}
    }
    for c in &node.children {
        walk(c, m, page, o, visits)?;
    }
    Ok(())
}
