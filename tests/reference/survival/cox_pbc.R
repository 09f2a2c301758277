# Writes cox_pbc.json and data/cox_pbc.csv. Run from the repository root:
#   Rscript tests/reference/survival/cox_pbc.R
# survival::pbc (Mayo primary biliary cirrhosis); event = death (status 2), transplant
# censored; the Mayo model covariates with log bilirubin, albumin and protime precomputed.
# trt is missing for the 106 non-randomised patients (dropped where trt is a stratum).
source("tests/reference/survival/cox_common.R")
d <- pbc[, c("id", "time", "status", "trt", "age", "edema", "bili", "albumin", "protime")]
d$death <- as.integer(d$status == 2)
d$log_bili <- log(d$bili)
d$log_albumin <- log(d$albumin)
d$log_protime <- log(d$protime)
mayo <- c("age", "edema", "log_bili", "log_albumin", "log_protime")
cox_fixture("pbc", d, list(
  spec("efron-mayo", mayo, event = "death"),
  spec("breslow-mayo-strata-trt", mayo, event = "death", ties = "breslow", strata = "trt"),
  spec("exact", c("age", "edema", "log_bili"), event = "death", ties = "exact")),
  source = "survival::pbc")
