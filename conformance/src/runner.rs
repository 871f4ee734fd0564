//! The runner: discovers the target, selects cases, runs each on each applicable binding with a
//! fresh context, and emits [`RunEvent`]s that reporters consume. It knows nothing about A2A
//! beyond the card discovery it needs to build the [`Target`](crate::context::Target).
