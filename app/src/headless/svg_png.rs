//! SVG drawings (pipe sections) rasterised to PNG by resvg, text set in
//! the UI's CJK font so Chinese labels come out as they do in the viewer.

use anyhow::{Context, Result, anyhow};
use std::sync::{Arc, OnceLock};

/// The PNG of `svg` at its own size.
pub fn render(svg: &str) -> Result<Vec<u8>> {
    let pixmap = rasterise(svg)?;
    pixmap.encode_png().map_err(|e| anyhow!("PNG: {e}"))
}

/// The pixels of `svg` at its own size: (width, height, premultiplied
/// RGBA).
pub fn render_rgba(svg: &str) -> Result<(u32, u32, Vec<u8>)> {
    let pixmap = rasterise(svg)?;
    Ok((pixmap.width(), pixmap.height(), pixmap.take()))
}

/// The CJK font as resvg's font database, read from disk once.
fn fonts() -> Result<Arc<resvg::usvg::fontdb::Database>> {
    static FONTS: OnceLock<Result<Arc<resvg::usvg::fontdb::Database>, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = resvg::usvg::fontdb::Database::new();
            let (_, bytes) = crate::ui::fonts::find_cjk_font()
                .ok_or("no CJK font for the labels (set CIM_CJK_FONT to a .ttf/.otf/.ttc)")?;
            db.load_font_data(bytes);
            // Whatever family the drawing asks for falls back to the loaded face.
            let family = db
                .faces()
                .next()
                .and_then(|f| f.families.first())
                .map(|(name, _)| name.clone())
                .ok_or("the CJK font has no face")?;
            db.set_sans_serif_family(family);
            Ok(Arc::new(db))
        })
        .clone()
        .map_err(|e| anyhow!(e))
}

fn rasterise(svg: &str) -> Result<resvg::tiny_skia::Pixmap> {
    let opt = resvg::usvg::Options {
        fontdb: fonts()?,
        ..resvg::usvg::Options::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &opt).map_err(|e| anyhow!("drawing: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .context("drawing: too large to rasterise")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap)
}
