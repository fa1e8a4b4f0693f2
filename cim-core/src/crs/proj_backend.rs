//! The thin, safe layer over the PROJ C library, and where `proj.db` is found.
//!
//! We talk to PROJ through `proj-sys`, the bindings the `proj` crate itself
//! wraps (same library build, feature `bundled_proj`), because the `proj`
//! crate's safe API is 2-D only (heights are dropped, ECEF is impossible) and
//! does not expose CRS metadata (type, axes, units) that `crs info` needs.
//!
//! Ownership rules kept here: every PROJ object belongs to exactly one context
//! ([`Ctx`]) and is destroyed before it ([`CrsOp`] declares the operation before
//! the context so it drops first). A context must never be used by two threads
//! at once but may move between threads, which is why [`CrsOp`] is `Send` and
//! is wrapped in a `Mutex` by the `Transformer`.
//!
//! # Finding `proj.db`
//!
//! [`proj_data_dir`] returns the first of these folders that holds a `proj.db`
//! the bundled PROJ can open (an older PROJ's database is skipped):
//!
//! 1. every entry of the `PROJ_DATA` environment variable, then of `PROJ_LIB`
//!    (path lists, `:`-separated on Unix, `;` on Windows);
//! 2. `<exe dir>/../share/cim/proj` (Unix-style install) and `<exe dir>/proj`
//!    (portable/Windows install), where `<exe dir>` is the folder of the
//!    running executable;
//! 3. the folder where `proj-sys` installed PROJ's data when this crate was
//!    built (`<target>/<profile>/build/proj-sys-*/out/share/proj`, recorded by
//!    `cim-core/build.rs`), which makes `cargo run`/`cargo test` work.
//!
//! The result is computed once per process. Packaging copies `proj.db` from
//! `proj_data_dir()` (e.g. from a build-time helper) to one of the folders of
//! step 2. If nothing is found, PROJ falls back to its own defaults.

use std::cell::RefCell;
use std::ffi::{CStr, CString, OsString, c_char, c_int, c_void};
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::sync::OnceLock;

use glam::DVec3;
use proj_sys as sys;

use super::ellipsoid::Ellipsoid;
use super::error::CrsError;

/// Folder holding the `proj.db` that this process uses; see the module docs
/// for the search order. `None` when no usable database was found.
pub fn proj_data_dir() -> Option<PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().ok();
        let build = option_env!("CIM_PROJ_BUILD_DATA").filter(|s| !s.is_empty());
        proj_data_candidates(
            |k| std::env::var_os(k),
            exe.as_deref(),
            build.map(Path::new),
        )
        .into_iter()
        .find(|dir| is_usable_proj_data(dir))
    })
    .clone()
}

/// The folders searched for `proj.db`, in order (see the module docs).
pub(crate) fn proj_data_candidates(
    env: impl Fn(&str) -> Option<OsString>,
    exe: Option<&Path>,
    build_time: Option<&Path>,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for var in ["PROJ_DATA", "PROJ_LIB"] {
        if let Some(list) = env(var) {
            out.extend(std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()));
        }
    }
    if let Some(dir) = exe.and_then(Path::parent) {
        out.push(dir.join("..").join("share").join("cim").join("proj"));
        out.push(dir.join("proj"));
    }
    out.extend(build_time.map(Path::to_path_buf));
    out
}

/// `true` when `dir/proj.db` exists and the linked PROJ accepts its layout version.
fn is_usable_proj_data(dir: &Path) -> bool {
    if !dir.join("proj.db").is_file() {
        return false;
    }
    let ctx = Ctx::with_search_path(Some(dir));
    // Opening the database happens lazily; asking for its path forces it and
    // returns NULL when PROJ rejects the file.
    !unsafe { sys::proj_context_get_database_path(ctx.raw()) }.is_null()
}

/// A PROJ context that captures PROJ's error log so our errors can quote it.
pub(crate) struct Ctx {
    raw: NonNull<sys::PJ_CONTEXT>,
    /// Error messages logged since the last [`Ctx::clear_log`]. Boxed so the
    /// address handed to PROJ stays valid when the `Ctx` moves.
    log: Box<RefCell<String>>,
}

impl Ctx {
    /// A context that reads `proj.db` from [`proj_data_dir`].
    pub(crate) fn new() -> Ctx {
        Ctx::with_search_path(proj_data_dir().as_deref())
    }

    fn with_search_path(dir: Option<&Path>) -> Ctx {
        let raw = NonNull::new(unsafe { sys::proj_context_create() })
            .expect("PROJ could not allocate a context (out of memory)");
        let log = Box::new(RefCell::new(String::new()));
        let ctx = Ctx { raw, log };
        unsafe {
            let data = &*ctx.log as *const RefCell<String> as *mut c_void;
            sys::proj_log_func(ctx.raw(), data, Some(capture_log));
        }
        if let Some(dir) = dir
            && let Ok(c) = CString::new(dir.to_string_lossy().as_bytes())
        {
            let paths = [c.as_ptr()];
            unsafe { sys::proj_context_set_search_paths(ctx.raw(), 1, paths.as_ptr()) };
        }
        ctx
    }

    fn raw(&self) -> *mut sys::PJ_CONTEXT {
        self.raw.as_ptr()
    }

    fn clear_log(&self) {
        if let Ok(mut s) = self.log.try_borrow_mut() {
            s.clear();
        }
    }

    /// The logged messages, else PROJ's text for the context's error number.
    fn error_text(&self, errno: c_int) -> String {
        let logged = self.log.borrow().trim().to_string();
        if !logged.is_empty() {
            return logged;
        }
        let errno = if errno != 0 {
            errno
        } else {
            unsafe { sys::proj_context_errno(self.raw()) }
        };
        let text = unsafe { sys::proj_context_errno_string(self.raw(), errno) };
        c_str(text).unwrap_or_else(|| format!("PROJ error {errno}"))
    }

    /// Builds a CRS object from any definition PROJ accepts.
    pub(crate) fn create_crs(&self, def: &str) -> Result<Obj<'_>, CrsError> {
        let unknown = |reason: String| CrsError::Unknown {
            input: def.to_string(),
            reason,
        };
        let c = CString::new(def).map_err(|_| unknown("contains a NUL character".into()))?;
        self.clear_log();
        let raw = unsafe { sys::proj_create(self.raw(), c.as_ptr()) };
        let obj = Obj::new(self, raw).ok_or_else(|| unknown(self.error_text(0)))?;
        if unsafe { sys::proj_is_crs(obj.raw()) } == 0 {
            return Err(CrsError::NotACrs {
                input: def.to_string(),
                what: type_name(unsafe { sys::proj_get_type(obj.raw()) }).to_string(),
            });
        }
        Ok(obj)
    }

    /// Facts about a CRS object for `crs info` and validation.
    pub(crate) fn describe(&self, crs: &Obj<'_>) -> CrsMeta {
        // A bound CRS (e.g. with +towgs84) is described by its source CRS.
        let source;
        let crs = if crs.kind() == sys::PJ_TYPE_PJ_TYPE_BOUND_CRS {
            source = Obj::new(self, unsafe {
                sys::proj_get_source_crs(self.raw(), crs.raw())
            });
            source.as_ref().unwrap_or(crs)
        } else {
            crs
        };
        let kind = crs.kind();
        let mut units: Vec<String> = Vec::new();
        let mut horizontal_geographic = is_geographic_type(kind);
        if kind == sys::PJ_TYPE_PJ_TYPE_COMPOUND_CRS {
            for i in 0..2 {
                let sub = Obj::new(self, unsafe {
                    sys::proj_crs_get_sub_crs(self.raw(), crs.raw(), i)
                });
                if let Some(sub) = sub {
                    if i == 0 {
                        horizontal_geographic = is_geographic_type(sub.kind());
                    }
                    self.axis_units(&sub, &mut units);
                }
            }
        } else {
            self.axis_units(crs, &mut units);
        }
        CrsMeta {
            name: c_str(unsafe { sys::proj_get_name(crs.raw()) }).unwrap_or_default(),
            kind: kind_label(kind),
            units: units.join(", "),
            area: self.area_of_use(crs),
            geographic: horizontal_geographic,
        }
    }

    fn coordinate_system<'c>(&'c self, crs: &Obj<'_>) -> Option<Obj<'c>> {
        Obj::new(self, unsafe {
            sys::proj_crs_get_coordinate_system(self.raw(), crs.raw())
        })
    }

    /// Axis `i` of coordinate system `cs`: its direction (`north`, `east`…),
    /// unit name and conversion factor to SI (metres or radians).
    fn axis_info(&self, cs: &Obj<'_>, i: c_int) -> Option<AxisInfo> {
        let mut direction: *const c_char = ptr::null();
        let mut unit: *const c_char = ptr::null();
        let mut factor = 0.0;
        let ok = unsafe {
            sys::proj_cs_get_axis_info(
                self.raw(),
                cs.raw(),
                i,
                ptr::null_mut(),
                ptr::null_mut(),
                &mut direction,
                &mut factor,
                &mut unit,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        (ok != 0).then(|| AxisInfo {
            direction: c_str(direction),
            unit: c_str(unit),
            factor,
        })
    }

    /// Appends the distinct unit names of the CRS's axes.
    fn axis_units(&self, crs: &Obj<'_>, out: &mut Vec<String>) {
        let Some(cs) = self.coordinate_system(crs) else {
            return;
        };
        let n = unsafe { sys::proj_cs_get_axis_count(self.raw(), cs.raw()) };
        for i in 0..n.max(0) {
            if let Some(u) = self.axis_info(&cs, i).and_then(|a| a.unit)
                && !out.contains(&u)
            {
                out.push(u);
            }
        }
    }

    fn area_of_use(&self, crs: &Obj<'_>) -> Option<(String, [f64; 4])> {
        let (mut w, mut s, mut e, mut n) = (0.0, 0.0, 0.0, 0.0);
        let mut name: *const c_char = ptr::null();
        let ok = unsafe {
            sys::proj_get_area_of_use(
                self.raw(),
                crs.raw(),
                &mut w,
                &mut s,
                &mut e,
                &mut n,
                &mut name,
            )
        };
        // PROJ reports unknown bounds as -1000.
        (ok != 0 && w > -1000.0 && s > -1000.0 && e > -1000.0 && n > -1000.0)
            .then(|| (c_str(name).unwrap_or_default(), [w, s, e, n]))
    }

    /// The ellipsoid of a CRS's datum.
    pub(crate) fn ellipsoid(&self, crs: &Obj<'_>) -> Option<Ellipsoid> {
        let ell = Obj::new(self, unsafe {
            sys::proj_get_ellipsoid(self.raw(), crs.raw())
        })?;
        let (mut a, mut b, mut computed, mut inv_f) = (0.0, 0.0, 0, 0.0);
        let ok = unsafe {
            sys::proj_ellipsoid_get_parameters(
                self.raw(),
                ell.raw(),
                &mut a,
                &mut b,
                &mut computed,
                &mut inv_f,
            )
        };
        if ok == 0 || a.is_nan() || a <= 0.0 {
            return None;
        }
        Some(if inv_f > 0.0 {
            Ellipsoid::from_a_inv_f(a, inv_f)
        } else {
            Ellipsoid { a, f: (a - b) / a }
        })
    }

    /// The direction of the first horizontal axis as PROJ names it (`north`,
    /// `east`, ...), lower-case; for bound CRSs that of the source CRS, for
    /// compound CRSs that of the horizontal part.
    pub(crate) fn first_axis_direction(&self, crs: &Obj<'_>) -> Option<String> {
        let inner;
        let crs = match crs.kind() {
            sys::PJ_TYPE_PJ_TYPE_BOUND_CRS => {
                inner = Obj::new(self, unsafe {
                    sys::proj_get_source_crs(self.raw(), crs.raw())
                })?;
                &inner
            }
            sys::PJ_TYPE_PJ_TYPE_COMPOUND_CRS => {
                inner = Obj::new(self, unsafe {
                    sys::proj_crs_get_sub_crs(self.raw(), crs.raw(), 0)
                })?;
                &inner
            }
            _ => crs,
        };
        let cs = self.coordinate_system(crs)?;
        self.axis_info(&cs, 0)?
            .direction
            .map(|d| d.to_ascii_lowercase())
    }

    /// `true` when the first axis of the CRS is measured in degrees.
    pub(crate) fn first_axis_in_degrees(&self, crs: &Obj<'_>) -> bool {
        self.coordinate_system(crs)
            .and_then(|cs| self.axis_info(&cs, 0))
            .is_some_and(|a| (a.factor - 1f64.to_radians()).abs() < 1e-12)
    }
}

/// What PROJ says about one axis of a coordinate system.
struct AxisInfo {
    direction: Option<String>,
    unit: Option<String>,
    factor: f64,
}

impl Drop for Ctx {
    fn drop(&mut self) {
        unsafe { sys::proj_context_destroy(self.raw()) };
    }
}

/// Receives PROJ's log messages; keeps the errors. Must not unwind into C.
unsafe extern "C" fn capture_log(data: *mut c_void, level: c_int, msg: *const c_char) {
    if data.is_null() || msg.is_null() || level > sys::PJ_LOG_LEVEL_PJ_LOG_ERROR as c_int {
        return;
    }
    // SAFETY: `data` is the boxed RefCell owned by the Ctx that registered this
    // callback, and the Ctx outlives every call made through it.
    let cell = unsafe { &*(data as *const RefCell<String>) };
    let text = unsafe { CStr::from_ptr(msg) }.to_string_lossy();
    // "proj_create: crs not found: EPSG:1" → "crs not found: EPSG:1"; the API
    // function name means nothing to our users.
    let text = text.trim();
    let text = text.strip_prefix("proj_create: ").unwrap_or(text);
    if let Ok(mut log) = cell.try_borrow_mut() {
        if !log.is_empty() {
            log.push_str("; ");
        }
        log.push_str(text);
    }
}

/// A PROJ object borrowed from its context (so it cannot outlive it).
pub(crate) struct Obj<'c> {
    raw: NonNull<sys::PJ>,
    _ctx: std::marker::PhantomData<&'c Ctx>,
}

impl<'c> Obj<'c> {
    fn new(_ctx: &'c Ctx, raw: *mut sys::PJ) -> Option<Obj<'c>> {
        NonNull::new(raw).map(|raw| Obj {
            raw,
            _ctx: std::marker::PhantomData,
        })
    }

    fn raw(&self) -> *mut sys::PJ {
        self.raw.as_ptr()
    }

    fn kind(&self) -> sys::PJ_TYPE {
        unsafe { sys::proj_get_type(self.raw()) }
    }
}

impl Drop for Obj<'_> {
    fn drop(&mut self) {
        unsafe { sys::proj_destroy(self.raw()) };
    }
}

/// What [`Ctx::describe`] reports.
pub(crate) struct CrsMeta {
    pub name: String,
    pub kind: &'static str,
    pub units: String,
    pub area: Option<(String, [f64; 4])>,
    /// Geographic, or compound with a geographic horizontal part.
    pub geographic: bool,
}

/// A CRS-to-CRS operation with its own context; axis order normalized to
/// easting/longitude first.
pub(crate) struct CrsOp {
    // Field order matters: the operation is destroyed before its context.
    op: NonNull<sys::PJ>,
    ctx: Ctx,
}

// SAFETY: the operation and its context are owned exclusively by this value and
// move together; PROJ allows a context (and its objects) to be used from any
// thread as long as it is not used from two threads at the same time, which
// `&mut self` on `trans` guarantees.
unsafe impl Send for CrsOp {}

impl CrsOp {
    /// Builds the operation between two CRS definitions, each given to PROJ as
    /// is, in (and taking ownership of) `ctx`.
    pub(crate) fn new(ctx: Ctx, from: &str, to: &str) -> Result<CrsOp, CrsError> {
        let op = {
            let src = ctx.create_crs(from)?;
            let dst = ctx.create_crs(to)?;
            let no_op = |reason: String| CrsError::NoTransformation {
                from: from.to_string(),
                to: to.to_string(),
                reason,
            };
            ctx.clear_log();
            let options = [ptr::null::<c_char>()];
            let raw = unsafe {
                sys::proj_create_crs_to_crs_from_pj(
                    ctx.raw(),
                    src.raw(),
                    dst.raw(),
                    ptr::null_mut(),
                    options.as_ptr(),
                )
            };
            let op = Obj::new(&ctx, raw).ok_or_else(|| no_op(ctx.error_text(0)))?;
            // Easting/longitude first whatever the authority's axis order.
            let norm = unsafe { sys::proj_normalize_for_visualization(ctx.raw(), op.raw()) };
            let norm = Obj::new(&ctx, norm).ok_or_else(|| no_op(ctx.error_text(0)))?;
            let raw = norm.raw;
            std::mem::forget(norm); // ownership moves into CrsOp
            raw
        };
        Ok(CrsOp { op, ctx })
    }

    /// Transforms one point (x, y, z); `Err` carries PROJ's reason.
    pub(crate) fn trans(&mut self, p: DVec3) -> Result<DVec3, String> {
        let coord = sys::PJ_COORD {
            xyzt: sys::PJ_XYZT {
                x: p.x,
                y: p.y,
                z: p.z,
                t: f64::INFINITY,
            },
        };
        self.ctx.clear_log();
        let op = self.op.as_ptr();
        let (out, errno) = unsafe {
            sys::proj_errno_reset(op);
            let out = sys::proj_trans(op, sys::PJ_DIRECTION_PJ_FWD, coord).xyzt;
            (out, sys::proj_errno(op))
        };
        let out = DVec3::new(out.x, out.y, out.z);
        if errno != 0 || !out.is_finite() {
            let reason = if errno != 0 || !self.ctx.log.borrow().is_empty() {
                self.ctx.error_text(errno)
            } else {
                "no valid result (point outside the domain of the operation)".to_string()
            };
            return Err(reason);
        }
        Ok(out)
    }
}

impl Drop for CrsOp {
    fn drop(&mut self) {
        unsafe { sys::proj_destroy(self.op.as_ptr()) };
    }
}

thread_local! {
    /// Context for one-off queries (parse validation, `crs info`), one per thread
    /// because contexts must not be shared between threads.
    static QUERY_CTX: Ctx = Ctx::new();
}

/// Runs `f` with this thread's query context.
pub(crate) fn with_query_ctx<R>(f: impl FnOnce(&Ctx) -> R) -> R {
    QUERY_CTX.with(f)
}

/// Checks that PROJ accepts `def` as a CRS.
pub(crate) fn validate_crs(def: &str) -> Result<(), CrsError> {
    with_query_ctx(|ctx| ctx.create_crs(def).map(|_| ()))
}

fn c_str(p: *const c_char) -> Option<String> {
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

fn is_geographic_type(t: sys::PJ_TYPE) -> bool {
    matches!(
        t,
        sys::PJ_TYPE_PJ_TYPE_GEOGRAPHIC_2D_CRS
            | sys::PJ_TYPE_PJ_TYPE_GEOGRAPHIC_3D_CRS
            | sys::PJ_TYPE_PJ_TYPE_GEOGRAPHIC_CRS
    )
}

/// Our `CrsInfo::kind` vocabulary.
fn kind_label(t: sys::PJ_TYPE) -> &'static str {
    match t {
        t if is_geographic_type(t) => "geographic",
        sys::PJ_TYPE_PJ_TYPE_GEOCENTRIC_CRS => "geocentric",
        sys::PJ_TYPE_PJ_TYPE_PROJECTED_CRS | sys::PJ_TYPE_PJ_TYPE_DERIVED_PROJECTED_CRS => {
            "projected"
        }
        sys::PJ_TYPE_PJ_TYPE_COMPOUND_CRS => "compound",
        sys::PJ_TYPE_PJ_TYPE_ENGINEERING_CRS => "engineering",
        sys::PJ_TYPE_PJ_TYPE_VERTICAL_CRS => "vertical",
        sys::PJ_TYPE_PJ_TYPE_TEMPORAL_CRS => "temporal",
        _ => "other",
    }
}

/// Words for non-CRS object types in error messages.
fn type_name(t: sys::PJ_TYPE) -> &'static str {
    match t {
        sys::PJ_TYPE_PJ_TYPE_ELLIPSOID => "ellipsoid",
        sys::PJ_TYPE_PJ_TYPE_PRIME_MERIDIAN => "prime meridian",
        sys::PJ_TYPE_PJ_TYPE_GEODETIC_REFERENCE_FRAME
        | sys::PJ_TYPE_PJ_TYPE_DYNAMIC_GEODETIC_REFERENCE_FRAME
        | sys::PJ_TYPE_PJ_TYPE_VERTICAL_REFERENCE_FRAME
        | sys::PJ_TYPE_PJ_TYPE_DYNAMIC_VERTICAL_REFERENCE_FRAME
        | sys::PJ_TYPE_PJ_TYPE_DATUM_ENSEMBLE => "datum",
        sys::PJ_TYPE_PJ_TYPE_CONVERSION
        | sys::PJ_TYPE_PJ_TYPE_TRANSFORMATION
        | sys::PJ_TYPE_PJ_TYPE_CONCATENATED_OPERATION
        | sys::PJ_TYPE_PJ_TYPE_OTHER_COORDINATE_OPERATION => "coordinate operation",
        _ => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_order_is_env_then_exe_then_build() {
        let env = |k: &str| match k {
            "PROJ_DATA" => Some(std::env::join_paths(["/a", "/b"]).unwrap()),
            "PROJ_LIB" => Some(OsString::from("/c")),
            _ => None,
        };
        let got = proj_data_candidates(
            env,
            Some(Path::new("/opt/cim/bin/cim")),
            Some(Path::new("/build")),
        );
        let want: Vec<PathBuf> = [
            "/a",
            "/b",
            "/c",
            "/opt/cim/bin/../share/cim/proj",
            "/opt/cim/bin/proj",
            "/build",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(got, want);
        assert_eq!(
            proj_data_candidates(|_| None, None, None),
            Vec::<PathBuf>::new()
        );
    }

    #[test]
    fn data_dir_is_found_and_usable() {
        let dir = proj_data_dir().expect("proj.db should be found in a cargo build");
        assert!(dir.join("proj.db").is_file());
        assert!(is_usable_proj_data(&dir));
        assert!(!is_usable_proj_data(Path::new("/nonexistent/cim/proj")));
    }

    #[test]
    fn copied_proj_db_is_found_next_to_the_exe() {
        let src = proj_data_dir().unwrap().join("proj.db");
        let tmp = tempfile::tempdir().unwrap();
        let bin = tmp.path().join("bin");
        let share = tmp.path().join("share").join("cim").join("proj");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&share).unwrap();
        std::fs::copy(&src, share.join("proj.db")).unwrap();
        let found = proj_data_candidates(|_| None, Some(&bin.join("cim")), None)
            .into_iter()
            .find(|d| is_usable_proj_data(d))
            .unwrap();
        assert_eq!(found.canonicalize().unwrap(), share.canonicalize().unwrap());
        // A corrupt database is rejected rather than breaking every transform.
        std::fs::write(bin.join("proj.db"), b"not sqlite").unwrap();
        assert!(!is_usable_proj_data(&bin));
    }

    #[test]
    fn errors_quote_proj() {
        let e = validate_crs("EPSG:99999").unwrap_err().to_string();
        assert!(e.contains("EPSG:99999"), "{e}");
        let e = validate_crs("+proj=tmerc +lon_0=120")
            .unwrap_err()
            .to_string();
        assert!(e.contains("coordinate operation"), "{e}");
        let e = validate_crs("GEOGCRS[\"broken\"").unwrap_err().to_string();
        assert!(e.contains("broken"), "{e}");
    }
}

/// Test helpers that need raw PROJ access.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A PROJ coordinate operation (e.g. `+proj=helmert ...`) as a function,
    /// to check our own algorithms against PROJ's.
    pub(crate) fn proj_pipeline(def: &str) -> impl FnMut(DVec3) -> DVec3 {
        let ctx = Ctx::new();
        let c = CString::new(def).unwrap();
        let raw = unsafe { sys::proj_create(ctx.raw(), c.as_ptr()) };
        let op = NonNull::new(raw).unwrap_or_else(|| panic!("{def}: {}", ctx.error_text(0)));
        let mut op = CrsOp { op, ctx };
        move |p| op.trans(p).unwrap()
    }
}
