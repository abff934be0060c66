document.documentElement.dataset.gallery = "ready";
