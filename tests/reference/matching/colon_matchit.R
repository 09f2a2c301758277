# Writes colon_matchit.json and data/colon.csv. Run from the repository root:
#   Rscript tests/reference/matching/colon_matchit.R
# Three-arm matching on survival's colon data (death records, etype 2; patients with
# missing covariates dropped): Lev+5FU is the focal arm, matched 1:2 to Obs and 1:2 to Lev
# by one pairwise logistic model per comparison, as the seed study matched HIFU 1:2:2.
# MatchIt is binary, so each comparison is a separate matchit() on that comparison's two
# arms, on the distance matrix |logit_t - logit_c| with treated rows put in the order
# served (MatchIt 4.5.1's default propensity path truncates distances to integers), with
# and without a caliper of 0.2 SD of the logit, m.order largest and smallest.
suppressPackageStartupMessages({library(MatchIt); library(survival)})

REF_DIR <- "tests/reference/matching"
CTRL <- list(epsilon = 1e-14, maxit = 100)
d <- colon[colon$etype == 2, c("id", "rx", "sex", "age", "obstruct", "perfor", "adhere",
                                "nodes", "differ", "extent", "surg", "time", "status")]
d <- d[complete.cases(d), ]
d$rx <- as.character(d$rx)
d$differ <- c("well", "moderate", "poor")[d$differ]
rownames(d) <- NULL
write.csv(d, file.path(REF_DIR, "data", "colon.csv"), row.names = FALSE)
formula <- treat ~ sex + age + obstruct + perfor + adhere + nodes + differ + extent + surg

runs <- list()
models <- list()
for (arm in c("Obs", "Lev")) {
  rows <- which(d$rx %in% c("Lev+5FU", arm))
  sub <- d[rows, ]
  sub$treat <- as.integer(sub$rx == "Lev+5FU")
  sub$differ <- relevel(factor(sub$differ), ref = "moderate")
  fit <- glm(formula, data = sub, family = binomial, control = CTRL)
  models[[arm]] <- list(term = names(coef(fit)), coef = unname(coef(fit)),
                        se = unname(sqrt(diag(vcov(fit)))))
  logit <- predict(fit, type = "link")
  for (cal in c(NA, 0.2)) for (ord in c("largest", "smallest")) {
    tr <- which(sub$treat == 1)
    tr <- tr[order(logit[tr], decreasing = ord == "largest")]
    perm <- c(tr, which(sub$treat == 0))
    dp <- sub[perm, ]
    D <- abs(outer(logit[perm][dp$treat == 1], logit[perm][dp$treat == 0], "-"))
    args <- list(formula, data = dp, method = "nearest", distance = D, ratio = 2)
    cal_abs <- NULL
    if (!is.na(cal)) {
      cal_abs <- cal * sd(logit)
      args$caliper <- cal_abs
      args$std.caliper <- FALSE
    }
    m <- suppressWarnings(do.call(matchit, args))
    mm <- m$match.matrix
    # match.matrix holds row names of dp: rows of the treated, cells the controls.
    pairs <- lapply(seq_len(nrow(mm)), function(r) {
      ctrl <- mm[r, ]
      list(focal = dp[rownames(mm)[r], "id"], matches = I(dp[ctrl[!is.na(ctrl)], "id"]))
    })
    runs[[length(runs) + 1]] <- list(arm = arm, caliper = if (is.na(cal)) NULL else cal,
                                     caliper_abs = cal_abs, order = ord, sets = pairs)
  }
}
out <- list(generated_by = "tests/reference/matching/colon_matchit.R", r = R.version.string,
            matchit = as.character(packageVersion("MatchIt")),
            survival = as.character(packageVersion("survival")), models = models, runs = runs)
jsonlite::write_json(out, file.path(REF_DIR, "colon_matchit.json"), digits = NA,
                     auto_unbox = TRUE, pretty = FALSE)
