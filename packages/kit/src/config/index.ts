export * from '@flotilla/config';
