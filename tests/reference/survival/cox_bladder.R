# Writes cox_bladder.json and data/cox_bladder.csv. Run from the repository root:
#   Rscript tests/reference/survival/cox_bladder.R
# survival::bladder (Wei, Lin & Weissfeld marginal model: up to 4 recurrences per patient,
# strata(enum), robust variance clustered by patient id).
source("tests/reference/survival/cox_common.R")
cox_fixture("bladder", bladder, list(
  spec("efron-wlw", c("rx", "size", "number"), strata = "enum", cluster = "id",
       time = "stop", event = "event"),
  spec("breslow-wlw", c("rx", "size", "number"), strata = "enum", cluster = "id",
       ties = "breslow", time = "stop", event = "event")),
  source = "survival::bladder")
