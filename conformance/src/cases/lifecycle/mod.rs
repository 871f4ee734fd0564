//! Cases for CTX and LIFE (digest §9.8): server-generated task and context ids and how a message's
//! `taskId`/`contextId` are reconciled (§3.4), and the task lifecycle: terminal tasks are
//! immutable, interrupted tasks accept messages (§3.1.1, §3.3.3, §7.6; digest §6).
//!
//! A row whose task could not be set up (the agent answered with a Message) is UNTESTED: it
//! applies, it just could not be observed ([`driver::untested_without_task`]).
//!
//! One module per id prefix ([`ctx`], [`life`]);
//! this one holds what they share.

pub(super) mod ctx;
pub(super) mod life;

use serde_json::{json, Value};

use crate::case::Outcome;
use crate::context::Ctx;
use crate::driver::{self, new_task};

/// The text sent where any agent will do; the test agent reads it as `echo`.
const PLAIN: &str = "echo gauntlet context check";

/// A new task for `text`, or UNTESTED when the agent answers with a Message.
async fn task(ctx: &Ctx, text: &str, message_extra: Value) -> Result<Value, Outcome> {
    new_task(ctx, text, message_extra, json!({}))
        .await
        .map_err(driver::untested_without_task)
}

/// A task left in `want` by `command`, or UNTESTED when there is no task to be had.
async fn interrupted(ctx: &Ctx, command: &str, want: &str) -> Result<driver::Hung, Outcome> {
    driver::interrupted(ctx, command, want)
        .await
        .map_err(driver::untested_without_task)
}
