//! Task store (placeholder until the protocol core lands).

use std::sync::Arc;

use crate::config::Config;
use crate::error::A2aError;
use crate::service::{CallCtx, Op, Reply};

pub(crate) struct Store {
    _config: Arc<Config>,
}

impl Store {
    pub(crate) fn new(config: Arc<Config>) -> Self {
        Self { _config: config }
    }
    pub(crate) async fn call(&self, _ctx: &CallCtx, _op: Op) -> Result<Reply, A2aError> {
        todo!()
    }
    pub(crate) fn close_streams(&self) {}
    pub(crate) fn open_streams(&self) -> usize {
        0
    }
}
