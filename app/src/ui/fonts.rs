//! CJK fonts for egui. egui's bundled fonts have no Chinese glyphs, so we
//! load a CJK font: one shipped next to the binary (`assets/fonts/`,
//! `../share/cim/fonts/`), the path in `CIM_CJK_FONT`, or a system font
//! (Noto Sans CJK / Source Han Sans / WenQuanYi on Linux, Microsoft YaHei on
//! Windows, PingFang on macOS). Collections (.ttc) use their first face,
//! which for Noto Sans CJK is the Japanese-default face covering all
//! CJK ideographs; the Simplified Chinese face index is preferred when known.

use std::path::PathBuf;

/// A font file and the face to use in it.
#[derive(Debug, Clone)]
pub struct FontChoice {
    pub path: PathBuf,
    pub index: u32,
}

fn candidates() -> Vec<FontChoice> {
    let mut v = Vec::new();
    let f = |p: &str, index: u32| FontChoice {
        path: PathBuf::from(p),
        index,
    };
    if let Ok(p) = std::env::var("CIM_CJK_FONT") {
        v.push(FontChoice {
            path: p.into(),
            index: 0,
        });
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        for rel in [
            "assets/fonts",
            "../share/cim/fonts",
            "../../assets/fonts",
            "../../../assets/fonts",
        ] {
            for name in [
                "NotoSansSC-Regular.otf",
                "NotoSansCJKsc-Regular.otf",
                "NotoSansSC-Regular.ttf",
            ] {
                v.push(FontChoice {
                    path: dir.join(rel).join(name),
                    index: 0,
                });
            }
        }
    }
    // Noto Sans CJK .ttc face order: JP, KR, SC, TC, HK.
    v.push(f(
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        2,
    ));
    v.push(f("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2));
    v.push(f(
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        2,
    ));
    v.push(f(
        "/usr/share/fonts/opentype/adobe-source-han-sans/SourceHanSansSC-Regular.otf",
        0,
    ));
    v.push(f("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0));
    v.push(f("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0));
    v.push(f("C:\\Windows\\Fonts\\msyh.ttc", 0));
    v.push(f("C:\\Windows\\Fonts\\simhei.ttf", 0));
    v.push(f("/System/Library/Fonts/PingFang.ttc", 0));
    v.push(f("/System/Library/Fonts/STHeiti Medium.ttc", 0));
    v
}

/// The first CJK font that exists, with its bytes.
pub fn find_cjk_font() -> Option<(FontChoice, Vec<u8>)> {
    candidates()
        .into_iter()
        .find_map(|c| std::fs::read(&c.path).ok().map(|b| (c, b)))
}

/// Adds the CJK font to egui as a fallback after the default fonts (so
/// Latin text keeps egui's look). Returns false when none was found.
pub fn install_cjk_font(ctx: &bevy_egui::egui::Context) -> bool {
    use bevy_egui::egui::{FontData, FontDefinitions, FontFamily};
    let Some((choice, bytes)) = find_cjk_font() else {
        return false;
    };
    let mut fonts = FontDefinitions::default();
    let mut data = FontData::from_owned(bytes);
    data.index = choice.index;
    fonts
        .font_data
        .insert("cjk".into(), std::sync::Arc::new(data));
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        fonts.families.entry(family).or_default().push("cjk".into());
    }
    ctx.set_fonts(fonts);
    bevy::log::info!(
        "CJK font: {} (face {})",
        choice.path.display(),
        choice.index
    );
    true
}
