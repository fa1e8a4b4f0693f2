//! The open scene: the store every panel and renderer reads and the
//! commands that edit it (`store`), the scene clock (`clock`), loading
//! layers (`load`), the floating origin (`origin`).

pub mod clock;
pub mod derived;
pub mod load;
pub mod origin;
pub mod store;
