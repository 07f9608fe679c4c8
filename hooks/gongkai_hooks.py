"""MkDocs hooks of a gongkai portal: each event only hands over to gongkai.glue.plugin."""
from gongkai.glue.plugin import GongkaiPlugin, after_other_plugins

plugin = GongkaiPlugin()  # MkDocs runs this file at every config load: one plugin per build


def on_config(config):
    return plugin.on_config(config)


def on_pre_build(config):
    plugin.on_pre_build(config=config)


def on_files(files, config):
    return plugin.on_files(files, config=config)


def on_nav(nav, config, files):
    return plugin.on_nav(nav, config=config, files=files)


def on_env(env, config, files):
    return plugin.on_env(env, config=config, files=files)


def on_page_content(html, page, config, files):
    return plugin.on_page_content(html, page=page, config=config, files=files)


@after_other_plugins  # Pagefind reads each page once it is written
def on_post_page(output, page, config):
    return plugin.on_post_page(output, page=page, config=config)


def on_post_build(config):
    plugin.on_post_build(config=config)


def on_build_error(error):
    plugin.on_build_error(error=error)
