// The flood solver's GPU path (cim-gpu's `flood` engine): the same
// first-order Godunov scheme as `cim_core::flood` — HLLC over hydrostatic
// reconstruction (flux.rs), rain, inflows, infiltration, drains and
// semi-implicit Manning friction (solver.rs), the step rule of run.rs — written line for
// line in the same f32 order, so both paths give the same water to
// round-off.
//
// Three entry points, dispatched by the host as
//   measure                       once, when the water is uploaded
//   (plan, step, measure) × k     per batch of k steps
// `plan` (one workgroup) takes the fastest wave speed from the measure
// workgroups' partial maxima and sets the next step's length, rain and
// inflow depths and clock in `control`; `step` updates every cell from its
// four faces; `measure` leaves each 16 × 16 tile's fastest wave (a cell's
// neighbours tell a wet-dry front, so it runs once every cell is done).
// Nothing is read back between steps.

const G: f32 = 9.81;
const H_EPS: f32 = 1e-6;
const F32_EPSILON: f32 = 1.1920929e-7;
const ARRIVAL_DEPTH: f32 = 0.05;
const MAX_INFLOWS: u32 = 64u;
const FAR: f32 = 3.0e38;

struct Params {
    nx: u32,
    ny: u32,
    cell_m: f32,
    cfl: f32,
    // 0 closed, 1 open, 2 a held level
    boundary: u32,
    level: f32,
    // 0 none, 1 constant (inf_a: m/s), 2 Green-Ampt (inf_a: Ks m/s, inf_s: ψΔθ m)
    infiltration: u32,
    inf_a: f32,
    inf_s: f32,
    _reserved: u32,
    dry_step: f32,
    // step workgroups, one partial maximum each
    partials: u32,
    // held rain steps, then inflows, in `forcing`
    n_rain: u32,
    n_inflows: u32,
    // the absolute time at `control.elapsed` = 0, s (arrival times)
    base_time: f32,
    _pad: u32,
}

struct Control {
    // this step's length, s (0: arrived, nothing moves)
    dt: f32,
    // time since base_time, s, after this step
    elapsed: f32,
    // the time to land on, since base_time
    until: f32,
    arrived: u32,
    steps: u32,
    rain_dh: f32,
    // the rain's depth over the batch, compensated (Kahan)
    rain_sum: vec2<f32>,
    inflow_dh: array<f32, MAX_INFLOWS>,
    // each inflow's added depth over the batch, compensated
    inflow_sum: array<vec2<f32>, MAX_INFLOWS>,
    // the step workgroups' fastest wave speeds, m/s
    partials: array<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;
// (bed level m, Manning's n, drain capacity m/s, the share of the rain
// that falls there: 0 outside the study area, a rain raster's cell over
// its largest, else 1) per cell
@group(0) @binding(1) var<storage, read> ground: array<vec4<f32>>;
// (depth m, unit discharges east and north m²/s, infiltrated depth m)
@group(0) @binding(2) var<storage, read> water_in: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> water_out: array<vec4<f32>>;
// (max depth m, max speed m/s, arrival time s or -1, drained depth m)
@group(0) @binding(4) var<storage, read_write> tracks: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> control: Control;
// volume per unit width out through each edge cell's outer face, m², compensated:
// west rows, east rows, south columns, north columns
@group(0) @binding(6) var<storage, read_write> edges: array<vec2<f32>>;
// rain: n_rain × (from s since base, m/s); inflows: n_inflows × (cell,
// first point, points), then their points (s since base, m³/s); numbers
// as their f32 bits
@group(0) @binding(7) var<storage, read> forcing: array<u32>;

fn number(k: u32) -> f32 {
    return bitcast<f32>(forcing[k]);
}

// Kahan summation: (sum, compensation) plus v.
fn kahan(acc: vec2<f32>, v: f32) -> vec2<f32> {
    let y = v - acc.y;
    let t = acc.x + y;
    return vec2<f32>(t, (t - acc.x) - y);
}

// ---- the face flux (flux.rs) ----

struct Side {
    h: f32,
    z: f32,
    un: f32,
    ut: f32,
}

// (mass, normal momentum for the left cell, for the right, tangential)
fn hllc(hl: f32, ul: f32, vl: f32, hr: f32, ur: f32, vr: f32) -> vec3<f32> {
    if hl <= 0.0 && hr <= 0.0 {
        return vec3<f32>(0.0);
    }
    let cl = sqrt(G * hl);
    let cr = sqrt(G * hr);
    let c_star = 0.5 * (cl + cr) + 0.25 * (ul - ur);
    let u_star = 0.5 * (ul + ur) + cl - cr;
    var sl: f32;
    if hl <= 0.0 {
        sl = ur - 2.0 * cr;
    } else {
        sl = min(ul - cl, u_star - max(c_star, 0.0));
    }
    var sr: f32;
    if hr <= 0.0 {
        sr = ul + 2.0 * cl;
    } else {
        sr = max(ur + cr, u_star + max(c_star, 0.0));
    }
    let fl = vec3<f32>(hl * ul, hl * ul * ul + 0.5 * G * hl * hl, hl * ul * vl);
    let fr = vec3<f32>(hr * ur, hr * ur * ur + 0.5 * G * hr * hr, hr * ur * vr);
    if sl >= 0.0 {
        return fl;
    }
    if sr <= 0.0 {
        return fr;
    }
    let span = sr - sl;
    let skew = (sr + sl) / span;
    let prod = sl * sr / span;
    let mass = 0.5 * (fl.x + fr.x) - 0.5 * skew * (fr.x - fl.x) + prod * (hr - hl);
    let normal = 0.5 * (fl.y + fr.y) - 0.5 * skew * (fr.y - fl.y) + prod * (hr * ur - hl * ul);
    let denom = hr * (ur - sr) - hl * (ul - sl);
    var s_star = 0.5 * (ul + ur);
    if abs(denom) > 1e-12 {
        s_star = (sl * hr * (ur - sr) - sr * hl * (ul - sl)) / denom;
    }
    var vt = vr;
    if s_star >= 0.0 {
        vt = vl;
    }
    return vec3<f32>(mass, normal, mass * vt);
}

// (mass, normal momentum left, normal momentum right, tangential)
fn face_flux(l: Side, r: Side) -> vec4<f32> {
    var hl = max(l.h - max(r.z - l.z, 0.0), 0.0);
    var hr = max(r.h - max(l.z - r.z, 0.0), 0.0);
    let noise = 2.0 * F32_EPSILON * (max(abs(l.z), abs(r.z)) + max(l.h, r.h));
    if hl > 0.0 && hr > 0.0 && abs(hl - hr) <= noise {
        let h = 0.5 * (hl + hr);
        hl = h;
        hr = h;
    }
    let f = hllc(hl, l.un, l.ut, hr, r.un, r.ut);
    return vec4<f32>(f.x, f.y - 0.5 * G * hl * hl, f.y - 0.5 * G * hr * hr, f.z);
}

// ---- the cell update (solver.rs) ----

// A cell's velocity, east and north (none in a film too thin to carry it).
fn velocity(w: vec4<f32>) -> vec2<f32> {
    if w.x > H_EPS {
        return vec2<f32>(w.y / w.x, w.z / w.x);
    }
    return vec2<f32>(0.0);
}

fn side(c: u32, east: bool) -> Side {
    let w = water_in[c];
    let uv = velocity(w);
    if east {
        return Side(w.x, ground[c].x, uv.x, uv.y);
    }
    return Side(w.x, ground[c].x, uv.y, uv.x);
}

fn ghost(inside: Side) -> Side {
    if params.boundary == 0u {
        return Side(inside.h, inside.z, -inside.un, inside.ut);
    }
    if params.boundary == 2u {
        return Side(max(params.level - inside.z, 0.0), inside.z, inside.un, inside.ut);
    }
    return inside;
}

fn add_edge(slot: u32, v: f32) {
    if v != 0.0 {
        edges[slot] = kahan(edges[slot], v);
    }
}

// ln(1 + x), exact for small x (Goldberg's trick: the rounding of 1 + x
// cancels).
fn ln_1p(x: f32) -> f32 {
    let u = 1.0 + x;
    if u == 1.0 {
        return x;
    }
    return log(u) * x / (u - 1.0);
}

// The depth Green-Ampt takes in over a ponded step (infiltration.rs): d
// solving d − S ln(1 + d/(F + S)) = Ks dt, by Newton's method from above.
fn green_ampt(f: f32, ks_dt: f32, s: f32) -> f32 {
    if s <= 0.0 {
        return ks_dt;
    }
    var d = ks_dt + sqrt(2.0 * s * ks_dt);
    for (var k = 0; k < 40; k++) {
        let g = d - s * ln_1p(d / (f + s)) - ks_dt;
        let slope = (f + d) / (f + s + d);
        if slope <= 0.0 {
            break;
        }
        let step = g / slope;
        d -= step;
        if abs(step) <= 1e-6 * d {
            break;
        }
    }
    return max(d, 0.0);
}

// The fastest wave at cell (i, j) of water_in, m/s: its water's, plus
// how much faster its celerity is than its slowest neighbour's (|u| + 2c
// at a wet-dry front); on the edge under a held level the water beyond's
// (solver.rs, wave_speed).
fn celerity(c: u32) -> f32 {
    return sqrt(G * max(water_in[c].x, 0.0));
}

fn wave_speed(i: u32, j: u32) -> f32 {
    let nx = params.nx;
    let ny = params.ny;
    let c = j * nx + i;
    let w = water_in[c];
    let uv = velocity(w);
    let along = max(abs(uv.x), abs(uv.y));
    var fastest = 0.0;
    if w.x > H_EPS {
        let mine = celerity(c);
        var slowest = mine;
        if i > 0u {
            slowest = min(slowest, celerity(c - 1u));
        }
        if i + 1u < nx {
            slowest = min(slowest, celerity(c + 1u));
        }
        if j > 0u {
            slowest = min(slowest, celerity(c - nx));
        }
        if j + 1u < ny {
            slowest = min(slowest, celerity(c + nx));
        }
        fastest = along + mine + (mine - slowest);
    }
    if params.boundary == 2u {
        let beyond = max(params.level - ground[c].x, 0.0);
        let edge = i == 0u || j == 0u || i + 1u == nx || j + 1u == ny;
        if edge && beyond > H_EPS {
            fastest = max(fastest, along + sqrt(G * beyond));
        }
    }
    return fastest;
}

// Updates cell (i, j) from water_in into water_out.
fn update(i: u32, j: u32) {
    let nx = params.nx;
    let ny = params.ny;
    let c = j * nx + i;
    let dt = control.dt;
    let now = water_in[c];
    if dt <= 0.0 {
        water_out[c] = now;
        return;
    }
    let ratio = dt / params.cell_m;
    let me_x = side(c, true);
    let me_y = side(c, false);
    var west: vec4<f32>;
    if i > 0u {
        west = face_flux(side(c - 1u, true), me_x);
    } else {
        west = face_flux(ghost(me_x), me_x);
        add_edge(j, -west.x * dt);
    }
    var east: vec4<f32>;
    if i + 1u < nx {
        east = face_flux(me_x, side(c + 1u, true));
    } else {
        east = face_flux(me_x, ghost(me_x));
        add_edge(ny + j, east.x * dt);
    }
    var south: vec4<f32>;
    if j > 0u {
        south = face_flux(side(c - nx, false), me_y);
    } else {
        south = face_flux(ghost(me_y), me_y);
        add_edge(2u * ny + i, -south.x * dt);
    }
    var north: vec4<f32>;
    if j + 1u < ny {
        north = face_flux(me_y, side(c + nx, false));
    } else {
        north = face_flux(me_y, ghost(me_y));
        add_edge(2u * ny + nx + i, north.x * dt);
    }
    let mx = east.x - west.x;
    let nxm = east.y - west.z;
    let tx = east.w - west.w;
    let my = north.x - south.x;
    let nym = north.y - south.z;
    let ty = north.w - south.w;
    var h = max(now.x - ratio * (mx + my), 0.0);
    var hu = now.y - ratio * (nxm + ty);
    var hv = now.z - ratio * (nym + tx);
    var f = now.w;

    // Sources: rain, then inflows.
    let share = ground[c].w;
    if control.rain_dh > 0.0 && share > 0.0 {
        h += control.rain_dh * share;
    }
    let table = 2u * params.n_rain;
    for (var k = 0u; k < params.n_inflows; k++) {
        if forcing[table + 3u * k] == c {
            let before = h;
            h = max(h + control.inflow_dh[k], 0.0);
            control.inflow_sum[k] = kahan(control.inflow_sum[k], h - before);
        }
    }

    // Infiltration.
    if params.infiltration != 0u && h > 0.0 {
        var potential = params.inf_a * dt;
        if params.infiltration == 2u {
            potential = green_ampt(f, params.inf_a * dt, params.inf_s);
        }
        let d = clamp(potential, 0.0, h);
        let before = h;
        h = max(h - d, 0.0);
        f += before - h;
    }

    // Drains, up to their capacity.
    var drained = 0.0;
    let capacity = ground[c].z * dt;
    if capacity > 0.0 {
        let before = h;
        h = max(h - min(capacity, h), 0.0);
        drained = before - h;
    }

    // Friction, semi-implicit.
    if h <= H_EPS {
        hu = 0.0;
        hv = 0.0;
    } else {
        let n = ground[c].y;
        let speed = sqrt(hu * hu + hv * hv) / h;
        let k = 1.0 + dt * G * n * n * speed / pow(h, 4.0 / 3.0);
        hu /= k;
        hv /= k;
    }
    let next = vec4<f32>(h, hu, hv, f);
    water_out[c] = next;

    // Tracks: maxima and arrival.
    var t = tracks[c];
    let was = t;
    t.x = max(t.x, h);
    if h > H_EPS {
        t.y = max(t.y, sqrt(hu * hu + hv * hv) / h);
    }
    if h >= ARRIVAL_DEPTH && t.z < 0.0 {
        t.z = params.base_time + control.elapsed;
    }
    t.w += drained;
    if any(t != was) {
        tracks[c] = t;
    }
}

var<workgroup> fastest: array<f32, 256>;

// The largest of the workgroup's 256 values, to every thread (called in
// uniform control flow: it holds barriers).
fn workgroup_max(li: u32, mine: f32) -> f32 {
    fastest[li] = mine;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if li < s {
            fastest[li] = max(fastest[li], fastest[li + s]);
        }
        workgroupBarrier();
    }
    return fastest[0];
}

@compute @workgroup_size(16, 16, 1)
fn step(@builtin(global_invocation_id) gid: vec3<u32>) {
    if gid.x < params.nx && gid.y < params.ny {
        update(gid.x, gid.y);
    }
}

@compute @workgroup_size(16, 16, 1)
fn measure(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    var speed = 0.0;
    if gid.x < params.nx && gid.y < params.ny {
        speed = wave_speed(gid.x, gid.y);
    }
    let most = workgroup_max(li, speed);
    if li == 0u {
        control.partials[wid.y * groups.x + wid.x] = most;
    }
}

// ---- the step rule (run.rs) ----

// An inflow's rate at time t (since base), m³/s: linear between its
// points, the first before them, the last after.
fn inflow_at(k: u32, t: f32) -> f32 {
    let row = 2u * params.n_rain + 3u * k;
    let first = forcing[row + 1u];
    let count = forcing[row + 2u];
    if count == 0u {
        return 0.0;
    }
    var before = 0u;
    for (var p = 0u; p < count; p++) {
        if number(first + 2u * p) <= t {
            before = p + 1u;
        }
    }
    if before == 0u {
        return number(first + 1u);
    }
    if before == count {
        return number(first + 2u * (count - 1u) + 1u);
    }
    let a = first + 2u * (before - 1u);
    let t0 = number(a);
    let v0 = number(a + 1u);
    let t1 = number(a + 2u);
    let v1 = number(a + 3u);
    return v0 + (v1 - v0) * (t - t0) / (t1 - t0);
}

@compute @workgroup_size(256, 1, 1)
fn plan(@builtin(local_invocation_index) li: u32) {
    var m = 0.0;
    for (var k = li; k < params.partials; k += 256u) {
        m = max(m, control.partials[k]);
    }
    let wave = workgroup_max(li, m);
    if li != 0u {
        return;
    }
    if control.arrived != 0u {
        control.dt = 0.0;
        control.rain_dh = 0.0;
        return;
    }
    let t = control.elapsed;
    var dt = params.dry_step;
    if wave > 0.0 {
        dt = min(dt, params.cfl * params.cell_m / wave);
    }
    // The rain held at t, and when it next changes.
    var rate = 0.0;
    var change = FAR;
    for (var k = 0u; k < params.n_rain; k++) {
        let start = number(2u * k);
        if start <= t {
            rate = number(2u * k + 1u);
        } else {
            change = min(change, start);
        }
    }
    // Steps that end on a change or on the time asked for end exactly
    // there (a sum could fall a rounding short and leave a sliver).
    var next = t + dt;
    if change - t <= dt {
        dt = change - t;
        next = change;
    }
    if control.until - t <= dt {
        dt = control.until - t;
        next = control.until;
        control.arrived = 1u;
    }
    control.dt = dt;
    control.elapsed = next;
    control.steps += 1u;
    control.rain_dh = rate * dt;
    if control.rain_dh > 0.0 {
        control.rain_sum = kahan(control.rain_sum, control.rain_dh);
    }
    let area = params.cell_m * params.cell_m;
    for (var k = 0u; k < params.n_inflows; k++) {
        control.inflow_dh[k] = inflow_at(k, t) * dt / area;
    }
}
