# Export metafor's dat.li2007 (magnesium in acute myocardial infarction) to magnesium.csv
# and print the reference results quoted in README.md.
# Run from the repo root:  Rscript examples/magnesium/export.R
library(metafor)
dat <- dat.li2007
# Three different trials are by Shechter (1990, 1991, 1995): label repeated names with the year.
repeated <- duplicated(dat$study) | duplicated(dat$study, fromLast = TRUE)
out <- data.frame(study = ifelse(repeated, paste(dat$study, dat$year), dat$study),
                  year = dat$year,
                  events_treat = dat$ai, total_treat = dat$n1i,
                  events_ctrl = dat$ci, total_ctrl = dat$n2i)
here <- "examples/magnesium"
if (!dir.exists(here)) here <- "."
write.csv(out, file.path(here, "magnesium.csv"), row.names = FALSE, quote = TRUE)
cat("metafor", as.character(packageVersion("metafor")), "- k =", nrow(out), "\n")
print(rma.mh(ai = events_treat, n1i = total_treat, ci = events_ctrl, n2i = total_ctrl,
             data = out, measure = "OR"), digits = 4)
print(rma(ai = events_treat, n1i = total_treat, ci = events_ctrl, n2i = total_ctrl,
          data = out, measure = "OR", method = "REML"), digits = 4)
