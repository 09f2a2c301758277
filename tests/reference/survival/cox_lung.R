# Writes cox_lung.json and data/cox_lung.csv. Run from the repository root:
#   Rscript tests/reference/survival/cox_lung.R
# survival::lung (NCCTG advanced lung cancer); status recoded 1/2 -> 0/1; sexc is sex as text.
# Rows with missing ph.ecog / ph.karno / wt.loss are dropped by coxph's na.omit.
source("tests/reference/survival/cox_common.R")
d <- lung
d$status <- d$status - 1
d$sexc <- c("male", "female")[d$sex]
cox_fixture("lung", d, list(
  spec("efron", c("age", "sex", "ph.ecog")),
  spec("breslow", c("age", "sex", "ph.ecog"), ties = "breslow"),
  spec("exact", c("age", "sex", "ph.ecog"), ties = "exact"),
  spec("efron-robust", c("age", "sex", "ph.karno", "wt.loss"), robust = TRUE),
  spec("efron-strata", c("age", "ph.ecog"), strata = "sex"),
  spec("breslow-factor-ref", c("age", "sexc"), ties = "breslow",
       reference = list(sexc = "male"))),
  source = "survival::lung")
