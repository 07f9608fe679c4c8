"""MkDocs hooks of a gongkai portal: each event only hands over to gongkai.glue.plugin."""
from gongkai.glue import plugin as mkdocs_glue


def on_config(config):
    return mkdocs_glue.on_config(config)


def on_files(files, config):
    return mkdocs_glue.on_files(files, config=config)


def on_post_build(config):
    mkdocs_glue.on_post_build(config)


def on_env(env, config, files):
    return mkdocs_glue.on_env(env, config=config, files=files)


def on_page_content(html, page, config, files):
    return mkdocs_glue.on_page_content(html, page, config, files)


@mkdocs_glue.after_other_plugins  # Pagefind reads each page once it is written
def on_post_page(output, page, config):
    return mkdocs_glue.on_post_page(output, page, config)


def on_pre_build(config):
    mkdocs_glue.on_pre_build(config)


def on_build_error(error):
    mkdocs_glue.on_build_error(error)


def on_nav(nav, config, files):
    return mkdocs_glue.on_nav(nav, config, files)

