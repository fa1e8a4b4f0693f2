//! The scene clock: the one time the sun, simulation results, live feeds
//! and playback follow. The [`ClockPlugin`] owns it; others read [`Clock`]
//! and change it only through [`ClockCommand`]s (the time slider, the play
//! button, later scenario playback and the remote-control API), applied at
//! the start of the next frame.

use bevy::prelude::*;
use cim_core::time::{SceneClock, UnixSeconds};

/// The scene clock as a resource (read it; change it with commands).
#[derive(Resource, Clone, Debug)]
pub struct Clock(pub SceneClock);

/// A change of the scene clock.
#[derive(Message, Clone, Copy, Debug, PartialEq)]
pub enum ClockCommand {
    /// Go to an instant (clamped to the clock's range).
    SetCurrent(UnixSeconds),
    SetPlaying(bool),
    /// Simulated seconds per wall-clock second (finite, ≥ 0).
    SetSpeed(f64),
    /// Widen the range to take in a data set's instants (start, end).
    Include(UnixSeconds, UnixSeconds),
}

impl Clock {
    /// Applies one command.
    ///
    /// ```
    /// use cim_app::scene::clock::{Clock, ClockCommand};
    /// use cim_core::time::SceneClock;
    /// let mut c = Clock(SceneClock::for_local_day(2024, 6, 21, 12.0, 8.0));
    /// c.apply(ClockCommand::SetCurrent(0.0));
    /// assert_eq!(c.0.current, c.0.start, "clamped to the day");
    /// ```
    pub fn apply(&mut self, command: ClockCommand) {
        let c = &mut self.0;
        match command {
            ClockCommand::SetCurrent(t) if t.is_finite() => {
                c.current = t.clamp(c.start, c.end.max(c.start));
            }
            ClockCommand::SetPlaying(on) => c.playing = on,
            ClockCommand::SetSpeed(s) if s.is_finite() => c.speed = s.max(0.0),
            ClockCommand::Include(a, b) if a.is_finite() && b.is_finite() && a <= b => {
                c.include((a, b));
            }
            _ => {}
        }
    }
}

pub struct ClockPlugin {
    pub clock: SceneClock,
}

impl Plugin for ClockPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Clock(self.clock.clone()))
            .add_message::<ClockCommand>()
            .add_systems(PreUpdate, apply_clock_commands)
            .add_systems(Update, tick_clock);
    }
}

fn apply_clock_commands(mut clock: ResMut<Clock>, mut commands: MessageReader<ClockCommand>) {
    for c in commands.read() {
        clock.apply(*c);
    }
}

/// Advances a playing clock by the frame's time (only a playing clock is
/// touched, so readers see a change only when time moved).
pub fn tick_clock(time: Res<Time>, mut clock: ResMut<Clock>) {
    if clock.0.playing {
        clock.0.tick(time.delta_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_written_in_a_frame_move_the_clock_in_the_next() {
        let day = SceneClock::for_local_day(2024, 6, 21, 12.0, 8.0);
        let noon = day.current;
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .add_plugins(ClockPlugin { clock: day });
        app.update();
        assert_eq!(
            app.world().resource::<Clock>().0.current,
            noon,
            "a paused clock stays"
        );
        app.world_mut()
            .write_message(ClockCommand::SetCurrent(noon + 3600.0));
        app.world_mut()
            .write_message(ClockCommand::SetSpeed(f64::NAN));
        app.update();
        let c = &app.world().resource::<Clock>().0;
        assert_eq!(c.current, noon + 3600.0);
        assert!(c.speed.is_finite(), "a NaN speed is refused");
        app.world_mut()
            .write_message(ClockCommand::SetPlaying(true));
        app.update();
        std::thread::sleep(std::time::Duration::from_millis(20));
        app.update();
        assert!(
            app.world().resource::<Clock>().0.current > noon + 3600.0,
            "playing moves on"
        );
    }
}
