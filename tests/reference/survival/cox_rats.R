# Writes cox_rats.json and data/cox_rats.csv. Run from the repository root:
#   Rscript tests/reference/survival/cox_rats.R
# survival::rats (Mantel et al. 1977 litter-matched tumorigenesis): cluster by litter.
source("tests/reference/survival/cox_common.R")
cox_fixture("rats", rats, list(
  spec("efron-cluster-litter", c("rx", "sex"), cluster = "litter"),
  spec("breslow-cluster-litter-ref-m", c("rx", "sex"), cluster = "litter", ties = "breslow",
       reference = list(sex = "m")),
  spec("exact", c("rx", "sex"), ties = "exact"),
  spec("efron-strata-litter", "rx", strata = "litter")),
  source = "survival::rats")
