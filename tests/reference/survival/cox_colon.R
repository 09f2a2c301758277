# Writes cox_colon.json and data/cox_colon.csv. Run from the repository root:
#   Rscript tests/reference/survival/cox_colon.R
# survival::colon (adjuvant levamisole/5-FU trial): two rows per patient (etype 1 recurrence,
# 2 death). rx is a 3-level factor (Lev, Lev+5FU, Obs); the death-only fits use the etype == 2
# rows (column death_row), the last fit uses both rows stratified by etype, clustered by id.
source("tests/reference/survival/cox_common.R")
d <- colon[, c("id", "rx", "sex", "age", "nodes", "extent", "etype", "time", "status")]
d$rx <- as.character(d$rx)
cox_fixture("colon", d, list(), source = "survival::colon")  # writes the csv
d <- read.csv(file.path(REF_DIR, "data", "cox_colon.csv"), stringsAsFactors = FALSE)
death <- d[d$etype == 2, ]
fits <- lapply(list(
  spec("efron-rx-default-ref", c("rx", "age", "sex", "nodes")),
  spec("efron-rx-ref-obs", c("rx", "age", "sex", "nodes"), reference = list(rx = "Obs")),
  spec("breslow-rx-ref-obs-strata", c("rx", "extent"), ties = "breslow", strata = "sex",
       reference = list(rx = "Obs"))), function(s) fit_one(death, s))
both <- fit_one(d, spec("efron-both-events-cluster-id", c("rx", "age"), strata = "etype",
                        cluster = "id", reference = list(rx = "Obs")))
both$subset <- "all"
fits <- lapply(fits, function(f) c(f, list(subset = "etype == 2")))
out <- list(generated_by = file.path(REF_DIR, "cox_colon.R"), r = R.version.string,
            survival = as.character(packageVersion("survival")), source = "survival::colon",
            data = "survival/data/cox_colon.csv", fits = c(fits, list(both)))
jsonlite::write_json(out, file.path(REF_DIR, "cox_colon.json"),
                     digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
