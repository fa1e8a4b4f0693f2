//! Synthetic water networks as EPANET input text, for tests and
//! benchmarks: a looped grid of junctions fed by a pumped reservoir and by
//! a second reservoir through a pressure-reducing valve, floating a tank,
//! with a throttle valve under a rule-based control, a check-valve pipe, a
//! closed pipe, two demand patterns, simple controls on the pump, pipe
//! vertices and coordinates. SI units, Darcy-Weisbach head loss, 24 hours
//! at hourly steps. Deterministic: the same size gives the same file.

use std::fmt::Write;

/// A grid network of `cols × rows` junctions, 100 m apart.
pub fn grid(cols: usize, rows: usize) -> String {
    assert!(
        cols >= 3 && rows >= 3,
        "a grid needs at least 3 × 3 junctions"
    );
    let n = cols * rows;
    let j = |c: usize, r: usize| format!("J{c}_{r}");
    // Total demand 150 L/s whatever the size, so any size runs at sane
    // pressures; the wave in elevations keeps nodes unlike each other.
    let demand = 150.0 / n as f64;
    let elevation = |c: usize, r: usize| {
        10.0 + 4.0 * ((c as f64) * 0.7).sin() + 3.0 * ((r as f64) * 0.45).cos()
    };
    let mut s = String::with_capacity(n * 160);
    line(
        &mut s,
        format!("[TITLE]\nGenerated grid network, {cols} x {rows} junctions"),
    );
    line(&mut s, "[JUNCTIONS]\n;ID Elev Demand Pattern".into());
    for r in 0..rows {
        for c in 0..cols {
            let pattern = if (c + r) % 2 == 0 { "P1" } else { "P2" };
            line(
                &mut s,
                format!("{} {:.3} {:.6} {pattern}", j(c, r), elevation(c, r), demand),
            );
        }
    }
    line(&mut s, "[RESERVOIRS]\nR1 5\nR2 85".into());
    let tank_elevation = 40.0;
    line(
        &mut s,
        format!("[TANKS]\n;ID Elev Init Min Max Diam MinVol\nT1 {tank_elevation} 4 1 9 25 0"),
    );
    line(
        &mut s,
        "[PIPES]\n;ID N1 N2 Length Diam Rough MinorLoss Status".into(),
    );
    let pipe = |s: &mut String, id: String, a: String, b: String, main: bool, status: &str| {
        let diameter = if main { 400 } else { 200 };
        line(s, format!("{id} {a} {b} 100 {diameter} 0.1 0 {status}"));
    };
    for r in 0..rows {
        for c in 0..cols {
            // Every fifth row and column is a main.
            if c + 1 < cols {
                let status = if (c, r) == (cols / 2, rows - 1) {
                    "Closed"
                } else {
                    "Open"
                };
                pipe(
                    &mut s,
                    format!("H{c}_{r}"),
                    j(c, r),
                    j(c + 1, r),
                    r % 5 == 0,
                    status,
                );
            }
            if r + 1 < rows {
                let status = if (c, r) == (1, rows / 2) {
                    "CV"
                } else {
                    "Open"
                };
                pipe(
                    &mut s,
                    format!("V{c}_{r}"),
                    j(c, r),
                    j(c, r + 1),
                    c % 5 == 0,
                    status,
                );
            }
        }
    }
    pipe(
        &mut s,
        "TP".into(),
        j(cols - 1, rows - 1),
        "T1".into(),
        true,
        "Open",
    );
    pipe(&mut s, "R2P".into(), "R2".into(), "RV".into(), true, "Open");
    pipe(
        &mut s,
        "TV1".into(),
        j(cols / 2, rows / 2),
        "TVB".into(),
        false,
        "Open",
    );
    // The valves' own inner nodes.
    s = s.replacen(
        "[RESERVOIRS]",
        &format!(
            "RV {:.3} 0\nTVB {:.3} 0.5\n[RESERVOIRS]",
            elevation(cols - 1, 0),
            elevation(cols / 2, rows / 2)
        ),
        1,
    );
    line(&mut s, format!("[PUMPS]\nPU1 R1 {} HEAD C1", j(0, 0)));
    line(
        &mut s,
        format!(
            "[VALVES]\n;ID N1 N2 Diam Type Setting\nPRV1 RV {} 300 PRV 32\nTCV1 TVB {} 150 TCV 5",
            j(cols - 1, 0),
            j(cols / 2, rows / 2 + 1)
        ),
    );
    line(
        &mut s,
        "[CURVES]\n;Pump curve\nC1 0 62\nC1 120 50\nC1 200 30".into(),
    );
    line(
        &mut s,
        "[PATTERNS]\nP1 0.6 0.5 0.5 0.6 0.8 1.1 1.4 1.5 1.3 1.2 1.1 1.1\n\
         P1 1.2 1.1 1.0 1.0 1.1 1.3 1.5 1.4 1.2 1.0 0.8 0.7\n\
         P2 1.0 1.0 1.0 1.0 1.0 1.0 1.2 1.2 1.2 1.2 1.2 1.2\n\
         P2 0.9 0.9 0.9 0.9 0.9 0.9 1.0 1.0 1.0 1.0 1.0 1.0"
            .into(),
    );
    line(
        &mut s,
        "[CONTROLS]\nLINK PU1 CLOSED IF NODE T1 ABOVE 8.5\nLINK PU1 OPEN IF NODE T1 BELOW 3".into(),
    );
    line(
        &mut s,
        "[RULES]\nRULE 1\nIF SYSTEM CLOCKTIME >= 8 AM\nAND SYSTEM CLOCKTIME < 6 PM\n\
         THEN VALVE TCV1 SETTING IS 10\nELSE VALVE TCV1 SETTING IS 5\nPRIORITY 1"
            .into(),
    );
    line(
        &mut s,
        "[TIMES]\nDuration 24:00\nHydraulic Timestep 1:00\nPattern Timestep 1:00\n\
         Report Timestep 1:00\nReport Start 0:00"
            .into(),
    );
    line(
        &mut s,
        "[OPTIONS]\nUnits LPS\nHeadloss D-W\nTrials 200\nAccuracy 0.001".into(),
    );
    line(&mut s, "[COORDINATES]".into());
    for r in 0..rows {
        for c in 0..cols {
            line(&mut s, format!("{} {} {}", j(c, r), c * 100, r * 100));
        }
    }
    let (w, h) = ((cols - 1) * 100, (rows - 1) * 100);
    line(
        &mut s,
        format!(
            "R1 -150 0\nR2 {} -150\nRV {} -60\nT1 {} {}",
            w,
            w,
            w + 120,
            h + 120
        ),
    );
    line(
        &mut s,
        format!("TVB {} {}", (cols / 2) * 100 + 30, (rows / 2) * 100 + 50),
    );
    line(&mut s, "[VERTICES]".into());
    for r in (0..rows).step_by(3) {
        for c in (0..cols - 1).step_by(4) {
            let _ = writeln!(s, "H{c}_{r} {} {}", c * 100 + 50, r * 100 + 12);
        }
    }
    s.push_str("[END]\n");
    s
}

fn line(s: &mut String, text: String) {
    s.push_str(&text);
    s.push('\n');
}
