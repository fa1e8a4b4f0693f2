//! Where panels' exports go and what they say about it: files beside the
//! scene document (else the working folder), named by what and when, and
//! a notice with the path written or why not.

use crate::scene::store::{Notice, SceneStore, StoreCommand};
use crate::ui::Requests;
use crate::ui::i18n::Lang;
use bevy_egui::egui;
use std::path::PathBuf;

/// An "Export FORMAT" button: on a click, `export` runs and its notice is
/// shown.
pub fn button(
    ui: &mut egui::Ui,
    l: Lang,
    format: &str,
    requests: &mut Requests,
    export: impl FnOnce() -> Notice,
) {
    if ui
        .button(format!("{} {format}", l.t("corridor.export")))
        .clicked()
    {
        requests.store.push(StoreCommand::Notify(export()));
    }
}

/// `DIR/NAME-WHAT-SECONDS.EXT`, the name made safe for any file system.
pub fn path(store: &SceneStore, name: &str, what: &str, ext: &str) -> PathBuf {
    let dir = store.doc_dir().unwrap_or_else(|| PathBuf::from("."));
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{safe}-{what}-{stamp}.{ext}"))
}

/// The notice of writing `path`.
pub fn written(path: &std::path::Path, r: Result<(), String>) -> Notice {
    match r {
        Ok(()) => Notice {
            error: false,
            text: format!("written to {}", path.display()),
        },
        Err(e) => Notice {
            error: true,
            text: format!("{}: {e}", path.display()),
        },
    }
}
