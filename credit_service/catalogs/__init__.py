"""Catalogs: the basic credit-information catalogs (信用信息基础目录) as versioned data."""
