//! `gauntlet-chaos`: fault layer and judged chaos scenarios.
