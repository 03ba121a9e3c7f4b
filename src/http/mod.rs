//! HTTP: payloads on the wire. `listen` receives what VCS posts (judging, saving and forwarding
//! it), `send` replays payloads to a handler, `latency` summarises their timings.

pub mod latency;
pub mod lines;
pub mod listen;
pub mod send;
pub mod wire;
