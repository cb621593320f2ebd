//! The egui front end.

pub fn run_app() -> i32 {
    0
}
