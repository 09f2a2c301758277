# Writes cox_veteran.json and data/cox_veteran.csv. Run from the repository root:
#   Rscript tests/reference/survival/cox_veteran.R
# survival::veteran (VA lung cancer trial; Kalbfleisch & Prentice); celltype is a 4-level
# factor; karno is the classic violation of proportional hazards in cox.zph.
source("tests/reference/survival/cox_common.R")
d <- veteran
d$celltype <- as.character(d$celltype)
all6 <- c("trt", "celltype", "karno", "diagtime", "age", "prior")
cox_fixture("veteran", d, list(
  spec("efron", all6),
  spec("exact-ref-large", all6, ties = "exact", reference = list(celltype = "large")),
  spec("breslow-robust", c("celltype", "karno"), ties = "breslow", robust = TRUE)),
  source = "survival::veteran")
