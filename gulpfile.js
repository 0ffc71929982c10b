const { src, dest } = require('gulp');

/** Icons and codex files are not TypeScript: copy them beside the compiled node. */
function buildAssets() {
	// encoding: false keeps binary icons (PNG) byte-exact; gulp 5 reads files as UTF-8 by default.
	return src(['nodes/**/*.{png,svg,json}', 'credentials/**/*.{png,svg}'], { base: '.', encoding: false }).pipe(
		dest('dist'),
	);
}

exports['build:assets'] = buildAssets;
