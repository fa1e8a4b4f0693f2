//! A safe handle on one EPANET project: opened on a file, its values read
//! by index, edited for a scenario, deleted when dropped. Only what
//! `simulation` and `scenario` need.

use epanet_sys as sys;
use std::ffi::CString;
use std::os::raw::{c_int, c_long};
use std::path::Path;

/// An EPANET error code (≥ 100) or warning (< 100), with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    pub code: i32,
    pub message: String,
}

/// The text EPANET gives an error or warning code.
pub fn message(code: i32) -> String {
    let mut buf = [0 as std::os::raw::c_char; 256];
    // SAFETY: the buffer is writable for its whole length, which is passed.
    let rc = unsafe { sys::EN_geterror(code, buf.as_mut_ptr(), buf.len() as c_int - 1) };
    if rc != 0 {
        return format!("EPANET error {code}");
    }
    // SAFETY: EN_geterror wrote a NUL-terminated string inside `buf`.
    let text = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    text.to_string_lossy().into_owned()
}

fn check(rc: c_int) -> Result<i32, Code> {
    if rc >= 100 {
        Err(Code {
            code: rc,
            message: message(rc),
        })
    } else {
        Ok(rc)
    }
}

fn c_path(p: &Path) -> CString {
    use std::os::unix::ffi::OsStrExt;
    // Paths never hold NUL on Unix; an empty string is EPANET's "none".
    CString::new(p.as_os_str().as_bytes()).unwrap_or_default()
}

/// One EPANET project.
pub struct Project {
    ph: sys::EN_Project,
}

// SAFETY: an EN_Project is self-contained (EPANET 2.2+ keeps no global
// state per project); it is only used through `&mut self` or `&self` reads.
unsafe impl Send for Project {}

impl Project {
    /// Opens `inp`, writing EPANET's report to `report`.
    pub fn open(inp: &Path, report: &Path) -> Result<Self, Code> {
        let mut ph: sys::EN_Project = std::ptr::null_mut();
        // SAFETY: `ph` is a valid out-pointer.
        check(unsafe { sys::EN_createproject(&mut ph) })?;
        let project = Self { ph };
        let (inp, rpt, out) = (c_path(inp), c_path(report), CString::default());
        // SAFETY: the handle is live and the strings NUL-terminated.
        check(unsafe { sys::EN_open(project.ph, inp.as_ptr(), rpt.as_ptr(), out.as_ptr()) })?;
        Ok(project)
    }

    pub fn count(&self, what: sys::EN_CountType) -> usize {
        let mut n: c_int = 0;
        // SAFETY: live handle, valid out-pointer.
        unsafe { sys::EN_getcount(self.ph, what as c_int, &mut n) };
        n.max(0) as usize
    }

    pub fn flow_units(&self) -> sys::EN_FlowUnits {
        let mut u: c_int = 0;
        // SAFETY: live handle, valid out-pointer.
        unsafe { sys::EN_getflowunits(self.ph, &mut u) };
        u as sys::EN_FlowUnits
    }

    pub fn time_param(&self, what: sys::EN_TimeParameter) -> i64 {
        let mut t: c_long = 0;
        // SAFETY: live handle, valid out-pointer.
        unsafe { sys::EN_gettimeparam(self.ph, what as c_int, &mut t) };
        t as i64
    }

    /// A node's ID (1-based index).
    pub fn node_id(&self, index: usize) -> String {
        self.id(index, sys::EN_getnodeid)
    }

    /// A link's ID (1-based index).
    pub fn link_id(&self, index: usize) -> String {
        self.id(index, sys::EN_getlinkid)
    }

    fn id(
        &self,
        index: usize,
        get: unsafe extern "C" fn(sys::EN_Project, c_int, *mut std::os::raw::c_char) -> c_int,
    ) -> String {
        // EN_MAXID (31) characters and the NUL.
        let mut buf = [0 as std::os::raw::c_char; 64];
        // SAFETY: live handle; the buffer holds more than EN_MAXID + 1.
        unsafe { get(self.ph, index as c_int, buf.as_mut_ptr()) };
        // SAFETY: EPANET wrote a NUL-terminated ID into `buf`.
        unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    pub fn node_value(&self, index: usize, what: sys::EN_NodeProperty) -> f64 {
        let mut v = 0.0;
        // SAFETY: live handle, valid out-pointer.
        unsafe { sys::EN_getnodevalue(self.ph, index as c_int, what as c_int, &mut v) };
        v
    }

    pub fn link_value(&self, index: usize, what: sys::EN_LinkProperty) -> f64 {
        let mut v = 0.0;
        // SAFETY: live handle, valid out-pointer.
        unsafe { sys::EN_getlinkvalue(self.ph, index as c_int, what as c_int, &mut v) };
        v
    }

    /// One property of every node, in index order.
    pub fn node_values(&self, what: sys::EN_NodeProperty, out: &mut Vec<f64>) {
        out.resize(self.count(sys::EN_CountType_EN_NODECOUNT), 0.0);
        // SAFETY: live handle; `out` holds one value per node.
        unsafe { sys::EN_getnodevalues(self.ph, what as c_int, out.as_mut_ptr()) };
    }

    /// One property of every link, in index order.
    pub fn link_values(&self, what: sys::EN_LinkProperty, out: &mut Vec<f64>) {
        out.resize(self.count(sys::EN_CountType_EN_LINKCOUNT), 0.0);
        // SAFETY: live handle; `out` holds one value per link.
        unsafe { sys::EN_getlinkvalues(self.ph, what as c_int, out.as_mut_ptr()) };
    }

    /// A node's 1-based index by ID.
    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.index(id, sys::EN_getnodeindex)
    }

    /// A link's 1-based index by ID.
    pub fn link_index(&self, id: &str) -> Option<usize> {
        self.index(id, sys::EN_getlinkindex)
    }

    fn index(
        &self,
        id: &str,
        get: unsafe extern "C" fn(
            sys::EN_Project,
            *const std::os::raw::c_char,
            *mut c_int,
        ) -> c_int,
    ) -> Option<usize> {
        let id = CString::new(id).ok()?;
        let mut i: c_int = 0;
        // SAFETY: live handle, NUL-terminated ID, valid out-pointer.
        let rc = unsafe { get(self.ph, id.as_ptr(), &mut i) };
        (rc == 0 && i > 0).then_some(i as usize)
    }

    pub fn node_type(&self, index: usize) -> sys::EN_NodeType {
        let mut t: c_int = 0;
        // SAFETY: live handle, valid out-pointer.
        unsafe { sys::EN_getnodetype(self.ph, index as c_int, &mut t) };
        t as sys::EN_NodeType
    }

    pub fn link_type(&self, index: usize) -> sys::EN_LinkType {
        let mut t: c_int = 0;
        // SAFETY: live handle, valid out-pointer.
        unsafe { sys::EN_getlinktype(self.ph, index as c_int, &mut t) };
        t as sys::EN_LinkType
    }

    /// Makes a check-valve pipe a plain pipe (its index stays: pipes keep
    /// theirs when their type changes); controls on it are deleted.
    pub fn make_plain_pipe(&mut self, index: usize) -> Result<(), Code> {
        let mut i = index as c_int;
        // SAFETY: live handle, valid in-out pointer.
        check(unsafe {
            sys::EN_setlinktype(
                self.ph,
                &mut i,
                sys::EN_LinkType_EN_PIPE as c_int,
                sys::EN_ActionCodeType_EN_UNCONDITIONAL as c_int,
            )
        })
        .map(drop)
    }

    pub fn set_link_value(
        &mut self,
        index: usize,
        what: sys::EN_LinkProperty,
        value: f64,
    ) -> Result<(), Code> {
        // SAFETY: live handle.
        check(unsafe { sys::EN_setlinkvalue(self.ph, index as c_int, what as c_int, value) })
            .map(drop)
    }

    pub fn set_node_value(
        &mut self,
        index: usize,
        what: sys::EN_NodeProperty,
        value: f64,
    ) -> Result<(), Code> {
        // SAFETY: live handle.
        check(unsafe { sys::EN_setnodevalue(self.ph, index as c_int, what as c_int, value) })
            .map(drop)
    }

    /// Sets every demand category's base demand of a node to `value`.
    pub fn set_base_demands(&mut self, node: usize, value: f64) -> Result<(), Code> {
        let mut n: c_int = 0;
        // SAFETY: live handle, valid out-pointer.
        check(unsafe { sys::EN_getnumdemands(self.ph, node as c_int, &mut n) })?;
        for d in 1..=n {
            // SAFETY: live handle; `d` is one of the node's demand indices.
            check(unsafe { sys::EN_setbasedemand(self.ph, node as c_int, d, value) })?;
        }
        Ok(())
    }

    /// The link a simple control acts on (1-based control index).
    pub fn control_link(&self, index: usize) -> usize {
        let (mut kind, mut link, mut node) = (0, 0, 0);
        let (mut setting, mut level) = (0.0, 0.0);
        // SAFETY: live handle, valid out-pointers.
        unsafe {
            sys::EN_getcontrol(
                self.ph,
                index as c_int,
                &mut kind,
                &mut link,
                &mut setting,
                &mut node,
                &mut level,
            )
        };
        link.max(0) as usize
    }

    /// The links a rule's THEN and ELSE actions act on (1-based rule index).
    pub fn rule_links(&self, index: usize) -> Vec<usize> {
        let (mut premises, mut then, mut otherwise, mut priority) = (0, 0, 0, 0.0);
        // SAFETY: live handle, valid out-pointers.
        unsafe {
            sys::EN_getrule(
                self.ph,
                index as c_int,
                &mut premises,
                &mut then,
                &mut otherwise,
                &mut priority,
            )
        };
        type Action = unsafe extern "C" fn(
            sys::EN_Project,
            c_int,
            c_int,
            *mut c_int,
            *mut c_int,
            *mut f64,
        ) -> c_int;
        let mut links = Vec::new();
        for (count, get) in [
            (then, sys::EN_getthenaction as Action),
            (otherwise, sys::EN_getelseaction as Action),
        ] {
            for a in 1..=count {
                let (mut link, mut status, mut setting) = (0, 0, 0.0);
                // SAFETY: live handle; `a` is one of the rule's actions.
                unsafe {
                    get(
                        self.ph,
                        index as c_int,
                        a,
                        &mut link,
                        &mut status,
                        &mut setting,
                    )
                };
                links.push(link.max(0) as usize);
            }
        }
        links
    }

    pub fn set_control_enabled(&mut self, index: usize, on: bool) -> Result<(), Code> {
        // SAFETY: live handle.
        check(unsafe { sys::EN_setcontrolenabled(self.ph, index as c_int, on as c_int) }).map(drop)
    }

    pub fn set_rule_enabled(&mut self, index: usize, on: bool) -> Result<(), Code> {
        // SAFETY: live handle.
        check(unsafe { sys::EN_setruleenabled(self.ph, index as c_int, on as c_int) }).map(drop)
    }

    /// Opens and initialises the hydraulic solver.
    pub fn start_hydraulics(&mut self) -> Result<(), Code> {
        // SAFETY: live handle.
        check(unsafe { sys::EN_openH(self.ph) })?;
        // SAFETY: live handle; 0: no hydraulics file.
        check(unsafe { sys::EN_initH(self.ph, 0) }).map(drop)
    }

    /// Solves the hydraulics at the current time; returns the time (s) and
    /// any warning code.
    pub fn run(&mut self) -> Result<(i64, i32), Code> {
        let mut t: c_long = 0;
        // SAFETY: live handle, valid out-pointer.
        let warning = check(unsafe { sys::EN_runH(self.ph, &mut t) })?;
        Ok((t as i64, warning))
    }

    /// Advances to the next hydraulic event; 0 when the simulation is over.
    pub fn advance(&mut self) -> Result<i64, Code> {
        let mut step: c_long = 0;
        // SAFETY: live handle, valid out-pointer.
        check(unsafe { sys::EN_nextH(self.ph, &mut step) })?;
        Ok(step as i64)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        // SAFETY: the handle was created by EN_createproject and is deleted
        // once; EN_deleteproject closes whatever is still open.
        unsafe { sys::EN_deleteproject(self.ph) };
    }
}
