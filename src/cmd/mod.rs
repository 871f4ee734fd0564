//! One module per subcommand; each owns its `Args` and its `run`, returning an exit code.

pub mod chaos;
pub mod check;
pub mod list;
pub mod load;
pub mod serve;
