//! Pushdeck: compose push notifications for many providers and see exactly what went over the wire.
//!
//! The data flow, module by module: [`draft`] (what the user composed) → [`provider`] (prepare) →
//! [`http`] (prepared requests, transport, exchange) → [`provider`] (interpret) → [`outcome`] →
//! [`store`] (history). [`engine`] runs it for both front ends, [`cli`] and [`ui`].

#[cfg(test)]
mod architecture;
pub mod campaign;
pub mod cli;
pub mod clock;
pub mod draft;
pub mod engine;
pub mod finding;
pub mod http;
pub mod outcome;
pub mod profile;
pub mod provider;
pub mod sink;
pub mod store;
pub mod ui;
