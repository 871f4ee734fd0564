//! A real webhook receiver on 127.0.0.1:0 that records every delivery (timestamp, headers,
//! body) and answers according to a script (e.g. 500 once, then 200). Used by the PUSH cases and,
//! with its misbehaviours, by chaos scenarios.
