//! Cases for SEND, TASK, LIST and CANCEL (digest §9.7): SendMessage modes and results (§3.1.1,
//! §3.2.2), GetTask and `historyLength` (§3.1.3, §3.2.4), ListTasks paging, ordering and filters
//! (§3.1.4) and CancelTask (§3.1.5, §3.3.1).
//!
//! ListTasks cases work inside a context the server assigned to this case's first task, so
//! tasks created concurrently by other cases never show up in their pages.
//!
//! One module per id prefix ([`send`], [`task`], [`list`], [`cancel`]);
//! this one holds what they share.

pub(super) mod cancel;
pub(super) mod list;
pub(super) mod send;
pub(super) mod task;

use serde_json::{json, Value};

use crate::case::{Checks, Outcome};
use crate::context::Ctx;
use crate::driver::{self, untested_without_task};
use crate::expect;

/// The text sent where any agent will do; the test agent reads it as `echo`.
const PLAIN: &str = "echo gauntlet task check";

/// A new task for `cmd` (no extra fields) and its state (`?` when it has none); a failure to
/// create it is recorded in `checks` and gives `None`.
async fn new_task_state(ctx: &Ctx, cmd: &str, checks: &mut Checks) -> Option<(Value, String)> {
    match new_task(ctx, cmd, json!({}), json!({})).await {
        Ok(t) => {
            let s = expect::state_of(&t).unwrap_or("?").to_owned();
            Some((t, s))
        }
        Err(o) => {
            checks.add(o);
            None
        }
    }
}

/// A blocking send that must give a Task; a Message answer leaves the row UNTESTED.
async fn new_task(
    ctx: &Ctx,
    text: &str,
    message_extra: Value,
    extra: Value,
) -> Result<Value, Outcome> {
    driver::new_task(ctx, text, message_extra, extra)
        .await
        .map_err(untested_without_task)
}

/// The tasks of a ListTasksResponse.
fn tasks(resp: &Value) -> Vec<Value> {
    resp.get("tasks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}
