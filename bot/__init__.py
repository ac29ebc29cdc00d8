"""接龙团购助手: a WeChat group-buying bot."""
